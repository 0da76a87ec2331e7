import { Component, type ErrorInfo, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

/** Shows a render error as a readable page with a way back, instead of a blank window. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('Kiln UI error', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="error-page" role="alert">
        <h1>Something went wrong in this screen</h1>
        <p>Your projects and data are safe: they are stored in the workspace, not in this window.</p>
        <pre className="error-detail">{error.message}</pre>
        <div className="row">
          <button
            type="button"
            className="button primary"
            onClick={() => {
              window.location.hash = '#/';
              this.setState({ error: null });
            }}
          >
            Back to projects
          </button>
          <button type="button" className="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      </div>
    );
  }
}
