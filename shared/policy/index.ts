/**
 * The policy: every decision medic takes, pure, over facts the use cases gather — how an alarm
 * becomes an incident, the fleet guard, the bounds, and the ladder's moves.
 */
export * from './admission.ts';
export * from './bounds.ts';
export * from './changes.ts';
export * from './fleet.ts';
export * from './learning.ts';
export * from './load.ts';
export * from './moves.ts';
export * from './ok.ts';
