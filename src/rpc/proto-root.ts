import protobuf from 'protobufjs';
import cmdProto from './proto/cmd.proto';
import cmdInfoProto from './proto/cmd-info.proto';
import hooksCallbacksProto from './proto/hooks-callbacks.proto';
import hooksInfoProto from './proto/hooks-info.proto';
import notifyProto from './proto/notify.proto';
import notifyInfoProto from './proto/notify-info.proto';

// The KubeVirt .proto files (KUBEVIRT.md §3, and the hook sidecars' API), parsed once, on first
// use, with the field names exactly as written (keepCase).

let root: protobuf.Root | undefined;
let loadMs: number | undefined;

export function protoRoot(): protobuf.Root {
  if (root) return root;
  const t0 = performance.now();
  const r = new protobuf.Root();
  for (const text of [
    cmdInfoProto,
    cmdProto,
    notifyInfoProto,
    notifyProto,
    hooksInfoProto,
    hooksCallbacksProto,
  ]) {
    protobuf.parse(text, r, { keepCase: true });
  }
  r.resolveAll();
  loadMs = performance.now() - t0;
  root = r;
  return r;
}

/** How long parsing the .proto files took, in milliseconds (undefined before the first use). */
export function protoLoadMs(): number | undefined {
  return loadMs;
}
