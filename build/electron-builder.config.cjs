// electron-builder configuration (npm run dist). Written as code so each platform's file list
// is the common list plus "drop the other operating systems' ONNX Runtime binaries": a
// platform-level `files` list replaces the top-level one rather than adding to it.
const common = [
  'package.json',
  'dist/electron/**',
  'dist/engine/**',
  'dist/renderer/**',
  '!**/*.map',
  '!node_modules/typescript/**',
  '!node_modules/tsx/**',
  '!node_modules/esbuild/**',
  '!node_modules/@esbuild/**',
  '!node_modules/onnxruntime-node/script/**',
];
const ortBinaries = 'node_modules/onnxruntime-node/bin/napi-v6';
const only = (os) => [...common, ...['darwin', 'linux', 'win32'].filter((o) => o !== os).map((o) => `!${ortBinaries}/${o}/**`)];

/** @type {import('app-builder-lib').Configuration} */
module.exports = {
  appId: 'dev.netwright.app',
  productName: 'Netwright',
  copyright: 'Netwright contributors',
  directories: { output: 'out', buildResources: 'build' },
  extraMetadata: { main: 'dist/electron/main.cjs' },
  files: common,
  asar: true,
  asarUnpack: ['node_modules/sharp/**', 'node_modules/@img/**', 'node_modules/onnxruntime-node/**'],
  fileAssociations: [{ ext: 'netwright', name: 'Netwright network', description: 'Netwright network document', role: 'Editor', mimeType: 'application/x-netwright+json' }],
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Science', icon: 'build/icon.png', files: only('linux') },
  win: { target: ['nsis'], icon: 'build/icon.png', files: only('win32') },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools', icon: 'build/icon.png', files: only('darwin') },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true },
};
