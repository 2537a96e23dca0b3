import './zod-config.ts';
import '@xyflow/react/dist/style.css';
import './styles.css';
import { ReactFlowProvider } from '@xyflow/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WebEngineClient } from './client/web-client.ts';
import { App } from './components/App.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ReactFlowProvider>
      <App client={WebEngineClient.fromLocation()} />
    </ReactFlowProvider>
  </StrictMode>,
);
