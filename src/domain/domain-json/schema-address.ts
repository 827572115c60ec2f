// api.Address and api.BootOrder: shared by most devices. Field names as in KubeVirt's api package.
import { type GoStruct, str, uint } from './go-struct.js';

export const Address: GoStruct = {
  Type: str('type'),
  Domain: str('domain'),
  Bus: str('bus'),
  Slot: str('slot'),
  Function: str('function'),
  Controller: str('controller'),
  Target: str('target'),
  Unit: str('unit'),
  UUID: str('uuid'),
  Device: str('device'),
  CSSID: str('cssid'),
  SSID: str('ssid'),
  DevNo: str('devno'),
};

export const BootOrder: GoStruct = { Order: uint('order') };
