/**
 * The page (index.html): choose a kernel, initrd, BIOS image or disk image from a file or a
 * URL, boot it with the embedding API, and drive it from the panel. Query parameters fill the
 * form: ?kernel=URL&initrd=URL&bios=URL&vgabios=URL&disk=URL&append=TEXT&m=MiB, and ?boot=1 boots at once.
 */
import { Wasmvisor, type ImageSource } from './wasmvisor.js';
import { Panel } from './panel.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
const report = (msg: string, error = false) => {
  status.textContent = msg;
  status.className = error ? 'error' : '';
};
const panel = new Panel($('panel'), report);
let vm: Wasmvisor | undefined;

const params = new URLSearchParams(location.search);
for (const [param, id] of [['kernel', 'kernel-url'], ['initrd', 'initrd-url'], ['bios', 'bios-url'], ['vgabios', 'vgabios-url'], ['disk', 'disk-url'], ['append', 'cmdline'], ['m', 'memory']] as const) {
  const v = params.get(param);
  if (v !== null) $<HTMLInputElement>(id).value = v;
}

/** The file chosen for an image, else its URL field, else nothing. */
function source(name: string): ImageSource | undefined {
  const file = $<HTMLInputElement>(`${name}-file`).files?.[0];
  if (file) return file;
  const url = $<HTMLInputElement>(`${name}-url`).value.trim();
  return url || undefined;
}

function boot(): void {
  vm?.destroy();
  vm = undefined;
  panel.attach(undefined);
  const kernel = source('kernel');
  const initrd = source('initrd');
  const bios = source('bios');
  const disk = source('disk');
  const vgaBios = source('vgabios');
  const memory = Number($<HTMLInputElement>('memory').value);
  if (!kernel && !bios) return report('choose a kernel or a BIOS image', true);
  if (!Number.isInteger(memory) || memory < 1 || memory > 2048) return report('memory: a whole number of MiB from 1 to 2048', true);
  report('booting...');
  try {
    vm = new Wasmvisor({
      container: $('machine'),
      ...(kernel ? { kernel } : {}),
      ...(initrd && kernel ? { initrd } : {}),
      ...(bios ? { bios } : {}),
      ...(disk ? { disk } : {}),
      ...(vgaBios && bios ? { vgaBios } : {}),
      cmdline: $<HTMLInputElement>('cmdline').value,
      memoryMiB: memory,
      onStats: (s) => panel.show(s),
      onStop: (_why, message) => report(message),
      onError: (message) => report(message, true),
    });
  } catch (e) {
    return report((e as Error).message, true);
  }
  panel.attach(vm);
  (window as unknown as { wasmvisor: Wasmvisor }).wasmvisor = vm;
  vm.ready.then(() => report('running'), () => {});
}

$('boot').addEventListener('click', boot);
for (const name of ['kernel', 'initrd', 'bios', 'vgabios', 'disk']) {
  // a chosen file wins over the URL; clearing the URL field is how to leave an image out
  $<HTMLInputElement>(`${name}-file`).addEventListener('change', () => {
    if ($<HTMLInputElement>(`${name}-file`).files?.length) $<HTMLInputElement>(`${name}-url`).value = '';
  });
}
if (params.get('boot') === '1') boot();
