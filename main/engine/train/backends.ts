/**
 * The compute backends of the neural models (tfjs), fastest first:
 * libtensorflow through tfjs-node(-gpu) when the user installed it, WebGPU
 * through Dawn (the `webgpu` package), WebAssembly, and plain JavaScript.
 * Each is probed once per process; probing never switches the active backend.
 */
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo, BackendName } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';

export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface SelectedBackend {
  name: BackendName;
  device: string;
}

const requireFromHere = createRequire(import.meta.url);

// tfjs greets Node users on stderr with advice to install tfjs-node; production mode silences it, and stderr is for progress.
tf.enableProdMode();

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
}

function isModuleNotFound(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && errorMessage(error).includes(specifier);
}

async function probeTensorflow(): Promise<BackendInfo> {
  const notInstalled = 'not installed: npm install @tensorflow/tfjs-node (needs internet for libtensorflow)';
  const failures: string[] = [];
  for (const [specifier, device] of [
    ['@tensorflow/tfjs-node-gpu', 'GPU (libtensorflow with CUDA)'],
    ['@tensorflow/tfjs-node', `CPU (libtensorflow, ${availableParallelism()} threads)`],
  ] as const) {
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring an optional package.
      const optional: string = specifier;
      await import(optional);
    } catch (error) {
      if (!isModuleNotFound(error, specifier)) failures.push(`${specifier} failed to load: ${errorMessage(error)}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow')) return { name: 'tensorflow', available: true, detail: device };
    failures.push(
      `${specifier} loaded but registered its backend with another copy of @tensorflow/tfjs (versions differ from ${tf.version.tfjs})`,
    );
  }
  return { name: 'tensorflow', available: false, detail: failures.length > 0 ? failures.join('; ') : notInstalled };
}

const LINUX_LIBRARY_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/lib/x86_64-linux-gnu',
  '/lib64',
];

/** Dawn reports a missing Vulkan loader only on its own stderr, so it is looked for here to give the reason. */
async function vulkanLoaderFound(): Promise<boolean> {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LINUX_LIBRARY_DIRS];
  for (const dir of dirs) {
    try {
      await access(join(dir, 'libvulkan.so.1'));
      return true;
    } catch {
      // Not in this folder.
    }
  }
  return false;
}

function adapterName(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'GPU (WebGPU adapter)';
  const parts = [info.description, info.device, [info.vendor, info.architecture].filter(Boolean).join(' ')].filter(
    (part) => part && part.trim() !== '',
  );
  return parts[0] ?? 'GPU (WebGPU adapter)';
}

async function probeWebgpu(): Promise<BackendInfo> {
  const unavailable = (detail: string): BackendInfo => ({ name: 'webgpu', available: false, detail });
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (error) {
    return unavailable(`the webgpu package (Dawn) failed to load: ${errorMessage(error)}`);
  }
  let adapter: GPUAdapter | null;
  let gpu: GPU;
  try {
    // Dawn's globals hold the GPUBufferUsage-style constants that tfjs's WebGPU kernels read from globalThis.
    Object.assign(globalThis, webgpu.globals);
    gpu = webgpu.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return unavailable(`Dawn could not look for a GPU: ${errorMessage(error)}`);
  }
  if (!adapter) {
    if (process.platform === 'linux' && !(await vulkanLoaderFound())) {
      return unavailable('Dawn found no GPU adapter: the Vulkan loader (libvulkan.so.1) is not installed, and a GPU driver is needed too');
    }
    return unavailable('Dawn found no GPU adapter: no GPU with a working Vulkan, Metal or D3D12 driver');
  }
  const device = adapterName(adapter.info);
  try {
    // tfjs-backend-webgpu registers itself on import only when it sees navigator.gpu, which Node lacks (Node 20) or leaves without `gpu` (Node 21+).
    const holder = globalThis as { navigator?: { gpu?: GPU } };
    if (holder.navigator === undefined) holder.navigator = { gpu };
    else if (holder.navigator.gpu === undefined) Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
    const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
    if (!tf.findBackendFactory('webgpu')) {
      const found = adapter;
      tf.registerBackend('webgpu', async () => new WebGPUBackend(await found.requestDevice(), found.info), 3);
    }
  } catch (error) {
    return unavailable(`${device} was found but tfjs-backend-webgpu failed to load: ${errorMessage(error)}`);
  }
  return { name: 'webgpu', available: true, detail: device };
}

let wasmThreads = 1;

async function probeWasm(): Promise<BackendInfo> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the backend cannot fetch its .wasm files by URL; it reads them from the package's dist folder.
    const folder = dirname(requireFromHere.resolve('@tensorflow/tfjs-backend-wasm'));
    await access(join(folder, 'tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(folder + sep);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    wasmThreads = threaded ? Math.max(1, availableParallelism()) : 1;
    return { name: 'wasm', available: true, detail: wasmDevice(simd === true) };
  } catch (error) {
    return { name: 'wasm', available: false, detail: `tfjs-backend-wasm failed to load: ${errorMessage(error)}` };
  }
}

function wasmDevice(simd: boolean): string {
  return `CPU (wasm${simd ? ' SIMD' : ''}, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'})`;
}

let probed: Promise<BackendInfo[]> | null = null;

/** Every backend in order of preference, with its device or the reason it is missing. */
export function listBackends(): Promise<BackendInfo[]> {
  probed ??= (async () => [
    await probeTensorflow(),
    await probeWebgpu(),
    await probeWasm(),
    { name: 'cpu', available: true, detail: 'CPU (JavaScript)' } satisfies BackendInfo,
  ])();
  return probed;
}

/**
 * Makes a backend tfjs's active one: the choice, or for `auto` the first in
 * order that starts. A chosen backend that is missing is bad input, with why.
 */
export async function selectBackend(choice: 'auto' | BackendName): Promise<SelectedBackend> {
  const backends = await listBackends();
  if (choice !== 'auto') {
    const info = backends.find((backend) => backend.name === choice);
    if (!info)
      throw new KilnError(
        'bad_input',
        `There is no backend called ${JSON.stringify(choice)}; use one of ${BACKEND_ORDER.join(', ')} or auto.`,
        'backend',
      );
    if (!info.available) throw new KilnError('bad_input', `The ${choice} backend is not available: ${info.detail}.`, 'backend');
    const started = await activate(info);
    if (!started.ok) throw new KilnError('bad_input', `The ${choice} backend did not start: ${started.reason}.`, 'backend');
    return { name: info.name, device: started.device };
  }
  const reasons: string[] = [];
  for (const info of backends) {
    if (!info.available) continue;
    const started = await activate(info);
    if (started.ok) return { name: info.name, device: started.device };
    reasons.push(`${info.name}: ${started.reason}`);
  }
  throw new KilnError('internal', `No compute backend started (${reasons.join('; ')}).`, 'backend');
}

async function activate(info: BackendInfo): Promise<{ ok: true; device: string } | { ok: false; reason: string }> {
  try {
    if (tf.getBackend() !== info.name) {
      const ok = await tf.setBackend(info.name);
      if (!ok) return { ok: false, reason: 'tfjs could not initialise it' };
    }
    await tf.ready();
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
  if (info.name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasmThreads = Math.max(1, wasm.getThreadsCount());
    return { ok: true, device: wasmDevice(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')) };
  }
  return { ok: true, device: info.detail };
}
