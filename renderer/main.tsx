import './zod-config.ts';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { ReactFlowProvider } from '@xyflow/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nextProvider } from 'react-i18next';
import { desktopEngine, electronEngineClient } from './client/electron-client.ts';
import { webEngineClient } from './client/web-client.ts';
import { App } from './components/App.tsx';
import { createI18n, initialLanguage, launchLanguage } from './i18n/index.ts';

// Inside the desktop app the preload provides the engine; in a browser, the web bridge does.
const desktop = desktopEngine();
const client = desktop ? electronEngineClient(desktop) : webEngineClient();
const launch = launchLanguage(window.location.search);
const i18n = createI18n(initialLanguage(launch.lang, launch.locale));
document.documentElement.lang = i18n.language;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nextProvider i18n={i18n}>
      <ReactFlowProvider>
        <App client={client} />
      </ReactFlowProvider>
    </I18nextProvider>
  </StrictMode>,
);
