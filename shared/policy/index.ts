/** The policy: every decision medic takes about an instance, pure, over facts the use cases gather. */
export * from './bounds.ts';
export * from './moves.ts';
