import { VmpodError } from '../errors.js';
import type { CloudInitUserAndNetworkData } from './types.js';

// Resolves a cloud-init volume's user and network data the way KubeVirt's readCloudInitData does:
// inline text wins over base64; one of the two must be present. Pure.

export interface ResolvedCloudInitData {
  readonly userData: string;
  readonly networkData: string;
}

// Go's base64.StdEncoding: standard alphabet, padding required; it skips \r and \n only.
function decodeStdBase64(field: string, encoded: string): string {
  const text = encoded.replace(/[\r\n]/g, '');
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    throw new VmpodError('CLOUD_INIT_INVALID_BASE64', `${field} is not valid standard base64`, {
      facts: { field },
    });
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

function rawOrBase64(field: string, raw: string | undefined, base64: string | undefined): string {
  if (raw !== undefined && raw !== '') return raw;
  if (base64 !== undefined && base64 !== '') return decodeStdBase64(`${field}Base64`, base64);
  return '';
}

export function resolveCloudInitData(source: CloudInitUserAndNetworkData): ResolvedCloudInitData {
  // virt-handler resolves secret refs by mounting the secrets; a standalone launcher has none.
  for (const [field, ref] of [
    ['secretRef', source.userDataSecretRef],
    ['networkDataSecretRef', source.networkDataSecretRef],
  ] as const) {
    if (ref !== undefined && ref !== '') {
      throw new VmpodError(
        'NOT_SUPPORTED',
        `cloud-init ${field} (secret ${JSON.stringify(ref)}) cannot be resolved without virt-handler's secret mounts`,
        { facts: { field, secret: ref } },
      );
    }
  }
  const userData = rawOrBase64('userData', source.userData, source.userDataBase64);
  const networkData = rawOrBase64('networkData', source.networkData, source.networkDataBase64);
  if (userData === '' && networkData === '') {
    throw new VmpodError(
      'CLOUD_INIT_NO_DATA',
      'userDataBase64, userData, networkDataBase64 or networkData is required for a cloud-init data source',
    );
  }
  return { userData, networkData };
}
