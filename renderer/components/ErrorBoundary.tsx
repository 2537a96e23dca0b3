// Around each view: a render error shows what happened and a reload that keeps the work, never a
// white page. The toolbar and status bar stay alive, so the other views still work.
import { Component, type ReactNode } from 'react';

export class ErrorBoundary extends Component<{ view: string; onReload(): void; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }

  override render(): ReactNode {
    const e = this.state.error;
    if (!e) return this.props.children;
    return (
      <div className="workspace view-error" role="alert" data-testid="view-error">
        <section className="card">
          <h2>The {this.props.view} view stopped with an error</h2>
          <p>Something went wrong while drawing this view. Your network is still open; the other tabs keep working.</p>
          <pre className="view-error-text">{e.message}</pre>
          <div className="buttons">
            <button className="primary" onClick={this.props.onReload} data-testid="view-reload">Reload (your work is kept)</button>
            <button onClick={() => this.setState({ error: null })}>Try again</button>
          </div>
          <details><summary>Details</summary><pre className="view-error-text">{e.stack}</pre></details>
        </section>
      </div>
    );
  }
}
