// Around each view: a render error shows what happened and a reload that keeps the work, never a
// white page. The toolbar and status bar stay alive, so the other views still work.
import { Component, type ReactNode } from 'react';
import { withTranslation, type WithTranslation } from 'react-i18next';

type Props = { view: string; onReload(): void; children: ReactNode } & WithTranslation;

class ErrorBoundaryView extends Component<Props, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }

  override render(): ReactNode {
    const e = this.state.error;
    if (!e) return this.props.children;
    const { t } = this.props;
    return (
      <div className="workspace view-error" role="alert" data-testid="view-error">
        <section className="card">
          <h2>{t('errorView.title', { view: this.props.view })}</h2>
          <p>{t('errorView.text')}</p>
          <pre className="view-error-text">{e.message}</pre>
          <div className="buttons">
            <button className="primary" onClick={this.props.onReload} data-testid="view-reload">{t('errorView.reload')}</button>
            <button onClick={() => this.setState({ error: null })}>{t('errorView.tryAgain')}</button>
          </div>
          <details><summary>{t('errorView.details')}</summary><pre className="view-error-text">{e.stack}</pre></details>
        </section>
      </div>
    );
  }
}

export const ErrorBoundary = withTranslation()(ErrorBoundaryView);
