import './zod-config.ts';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { ReactFlowProvider } from '@xyflow/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { desktopEngine, electronEngineClient } from './client/electron-client.ts';
import { webEngineClient } from './client/web-client.ts';
import { App } from './components/App.tsx';

// Inside the desktop app the preload provides the engine; in a browser, the web bridge does.
const desktop = desktopEngine();
const client = desktop ? electronEngineClient(desktop) : webEngineClient();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReactFlowProvider>
      <App client={client} />
    </ReactFlowProvider>
  </StrictMode>,
);
