// The Go core comes in two builds (Makefile): dist/myoseg-simd.wasm with
// WebAssembly SIMD128 kernels, and dist/myoseg.wasm for browsers without
// SIMD. The page picks one with a probe, compiles it once and hands the
// compiled module to every worker (web/worker.js), so a browser fetches and
// compiles only the build it runs.

// The smallest module using a SIMD instruction (a function returning
// i8x16.popcnt(i8x16.splat(0))): it validates only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

// compileCore fetches and compiles this browser's build of the core.
export async function compileCore() {
  const variant = WebAssembly.validate(SIMD_PROBE) ? 'simd128' : 'scalar';
  const url = variant === 'simd128' ? 'dist/myoseg-simd.wasm' : 'dist/myoseg.wasm';
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
  return { module: await WebAssembly.compileStreaming(resp), variant };
}
