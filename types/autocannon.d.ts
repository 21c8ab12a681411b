/** autocannon ships no type declarations; this is the slice medic's load adapter uses. */
declare module 'autocannon' {
  interface AutocannonResult {
    requests: { total: number };
    latency: { p50: number; p99: number };
    errors: number;
    timeouts: number;
    '4xx': number;
    '5xx': number;
    duration: number;
  }
  interface AutocannonInstance {
    stop(): void;
    on(event: 'done', listener: (result: AutocannonResult) => void): void;
  }
  function autocannon(
    options: Record<string, unknown>,
    done: (error: Error | null, result: AutocannonResult) => void,
  ): AutocannonInstance;
  export default autocannon;
}
