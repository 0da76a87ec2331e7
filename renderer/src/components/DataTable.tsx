import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { TablePage } from '../../../shared/api.js';
import { typeWord } from './typeWords.js';

const rowHeight = 30;

function isNumericType(type: string): boolean {
  return /INT|DOUBLE|FLOAT|DECIMAL|REAL|NUMERIC/.test(type);
}

function width(type: string, name: string): number {
  const base = isNumericType(type) ? 110 : 160;
  return Math.max(base, Math.min(260, name.length * 8 + 48));
}

function display(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : value.toLocaleString('en-US', { maximumFractionDigits: 6 });
  return String(value);
}

/** A virtualised grid: only the visible rows are in the DOM, so large pages stay smooth. */
export function DataTable({ page, caption }: { page: TablePage; caption: string }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: page.rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const widths = page.columns.map((column) => width(column.type, column.name));
  const template = `64px ${widths.map((value) => `${value}px`).join(' ')}`;
  const totalWidth = 64 + widths.reduce((sum, value) => sum + value, 0);

  return (
    <div className="table-wrap">
      <div
        className="table-scroll"
        ref={scroller}
        role="grid"
        aria-label={caption}
        aria-rowcount={page.totalRows + 1}
        aria-colcount={page.columns.length + 1}
        tabIndex={0}
      >
        <div className="table-header" role="row" style={{ gridTemplateColumns: template, width: totalWidth }}>
          <div className="cell index" role="columnheader">
            #
          </div>
          {page.columns.map((column) => (
            <div
              key={column.name}
              className={`cell${isNumericType(column.type) ? ' numeric' : ''}`}
              role="columnheader"
              title={`${column.name} (${typeWord(column.type)})`}
            >
              <span className="column-name">{column.name}</span>
              <span className="column-type">{typeWord(column.type)}</span>
            </div>
          ))}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), width: totalWidth, position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = page.rows[item.index] ?? [];
            return (
              <div
                key={item.key}
                className="table-row"
                role="row"
                aria-rowindex={page.offset + item.index + 2}
                style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: rowHeight }}
              >
                <div className="cell index" role="rowheader">
                  {page.offset + item.index + 1}
                </div>
                {page.columns.map((column, index) => {
                  const value = row[index] ?? null;
                  return (
                    <div
                      key={column.name}
                      className={`cell${typeof value === 'number' ? ' numeric' : ''}${value === null ? ' missing' : ''}`}
                      role="gridcell"
                    >
                      <span className="cell-text">{value === null ? 'missing' : display(value)}</span>
                    </div>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
      <div className="table-footer">
        Showing rows {page.rows.length === 0 ? 0 : page.offset + 1}–{page.offset + page.rows.length} of{' '}
        {page.totalRows.toLocaleString('en-US')}
      </div>
    </div>
  );
}
