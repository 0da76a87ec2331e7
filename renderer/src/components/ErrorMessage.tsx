export function ErrorMessage({ message, onDismiss }: { message: string; onDismiss?: () => void }) {
  return (
    <div className="alert error" role="alert">
      <span className="alert-icon" aria-hidden="true">
        !
      </span>
      <span className="alert-text">{message}</span>
      {onDismiss ? (
        <button type="button" className="button ghost small" onClick={onDismiss} aria-label="Dismiss this message">
          Dismiss
        </button>
      ) : null}
    </div>
  );
}
