import { useEffect, useRef } from 'react';
import { withoutAnsi } from './format.js';

/** A scrolling monospace log that follows new lines unless the reader has scrolled up to read older ones. */
export function LogBox({ lines, label, empty }: { lines: string[]; label: string; empty: string }) {
  const box = useRef<HTMLPreElement>(null);
  const following = useRef(true);

  useEffect(() => {
    const element = box.current;
    if (element && following.current) element.scrollTop = element.scrollHeight;
  }, [lines]);

  return (
    <pre
      ref={box}
      className="export-log"
      role="log"
      aria-label={label}
      // Focusable so the keyboard can scroll it.
      tabIndex={0}
      onScroll={(event) => {
        const element = event.currentTarget;
        following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
      }}
    >
      {lines.length > 0 ? lines.map(withoutAnsi).join('\n') : <span className="muted">{empty}</span>}
    </pre>
  );
}
