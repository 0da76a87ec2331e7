/** The rules training and serving share, written once (see each module). */
export * from './bins.js';
export * from './cells.js';
export * from './csv.js';
export * from './labels.js';
export * from './markers.js';
export * from './profile.js';
export * from './schema.js';
