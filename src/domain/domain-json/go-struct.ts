// A Go struct of KubeVirt's api package, declared as data: each JSON key (the Go field name) with
// where its value lives in libvirt's XML and which Go type holds it. One decoder turns an XML
// element into the JSON Go's encoding/json would print for that struct after xml.Unmarshal:
// every field present, nil pointers and slices as null, absent values at their zero. Pure.
import { VmpodError } from '../../errors.js';
import type { XmlElement } from './xml-element.js';

type Scalar = 'string' | 'uint' | 'int';

export type GoField =
  | { readonly k: 'attr'; readonly xml: string; readonly t: Scalar; readonly ptr: boolean }
  | { readonly k: 'chardata'; readonly t: Scalar }
  | { readonly k: 'text'; readonly xml: string; readonly t: Scalar; readonly ptr: boolean }
  | { readonly k: 'struct'; readonly xml: string; readonly of: () => GoStruct; readonly ptr: boolean }
  | { readonly k: 'list'; readonly xml: string; readonly of: () => GoStruct }
  | { readonly k: 'empty'; readonly xml: string }
  | { readonly k: 'alias' }
  | { readonly k: 'xmlName' }
  | { readonly k: 'zero'; readonly value: null | boolean | number | string };

export type GoStruct = Readonly<Record<string, GoField>>;

// Field constructors, named after the Go type they stand for.
export const str = (xml: string): GoField => ({ k: 'attr', xml, t: 'string', ptr: false });
export const strPtr = (xml: string): GoField => ({ k: 'attr', xml, t: 'string', ptr: true });
export const uint = (xml: string): GoField => ({ k: 'attr', xml, t: 'uint', ptr: false });
export const int = (xml: string): GoField => ({ k: 'attr', xml, t: 'int', ptr: false });
export const uintPtr = (xml: string): GoField => ({ k: 'attr', xml, t: 'uint', ptr: true });
export const chars = (t: Scalar = 'string'): GoField => ({ k: 'chardata', t });
export const text = (xml: string, t: Scalar = 'string'): GoField => ({ k: 'text', xml, t, ptr: false });
export const textPtr = (xml: string, t: Scalar = 'string'): GoField => ({ k: 'text', xml, t, ptr: true });
export const el = (xml: string, of: () => GoStruct): GoField => ({ k: 'struct', xml, of, ptr: false });
export const ptr = (xml: string, of: () => GoStruct): GoField => ({ k: 'struct', xml, of, ptr: true });
export const list = (xml: string, of: () => GoStruct): GoField => ({ k: 'list', xml, of });
export const empty = (xml: string): GoField => ({ k: 'empty', xml });
export const alias: GoField = { k: 'alias' };
export const xmlName: GoField = { k: 'xmlName' };
/** A field libvirt's XML never carries (KubeVirt-internal): always its Go zero value. */
export const zero = (value: null | boolean | number | string): GoField => ({ k: 'zero', value });

/** The libvirt prefix that marks an alias chosen by KubeVirt rather than by libvirt. */
export const USER_ALIAS_PREFIX = 'ua-';

export interface AliasJson {
  Name: string;
  UserDefined: boolean;
}

export function aliasFromName(name: string): AliasJson {
  return name.startsWith(USER_ALIAS_PREFIX)
    ? { Name: name.slice(USER_ALIAS_PREFIX.length), UserDefined: true }
    : { Name: name, UserDefined: false };
}

/** Children reached by a path such as `system>entry`. */
function reach(parents: readonly XmlElement[], path: string): XmlElement[] {
  let level = [...parents];
  for (const step of path.split('>')) level = level.flatMap((p) => p.children.filter((c) => c.name === step));
  return level;
}

function scalar(raw: string | undefined, t: Scalar, ptr: boolean, where: string): unknown {
  if (raw === undefined) return ptr ? null : t === 'string' ? '' : 0;
  if (t === 'string') return raw;
  const s = raw.trim();
  if (s === '') return 0;
  const ok = t === 'uint' ? /^\+?\d+$/.test(s) : /^[-+]?\d+$/.test(s);
  const n = Number(s);
  if (!ok || !Number.isSafeInteger(n)) {
    throw new VmpodError(
      'DOMAIN_XML_MALFORMED',
      `domain XML is malformed: ${where} is not an integer: "${s}"`,
      {
        facts: { where, value: s },
      },
    );
  }
  return n;
}

function field(f: GoField, e: XmlElement | undefined, where: string): unknown {
  switch (f.k) {
    case 'attr':
      return scalar(e?.attrs[f.xml], f.t, f.ptr, `${where}@${f.xml}`);
    case 'chardata':
      return scalar(e === undefined ? undefined : e.text, f.t, false, where);
    case 'text': {
      const child = e === undefined ? undefined : reach([e], f.xml)[0];
      return scalar(child?.text, f.t, f.ptr, `${where}/${f.xml}`);
    }
    case 'struct': {
      const child = e === undefined ? undefined : reach([e], f.xml)[0];
      if (child === undefined && f.ptr) return null;
      return decodeStruct(f.of(), child, `${where}/${f.xml}`);
    }
    case 'list': {
      const items = e === undefined ? [] : reach([e], f.xml);
      if (items.length === 0) return null;
      return items.map((item, i) => decodeStruct(f.of(), item, `${where}/${f.xml}[${i}]`));
    }
    case 'empty':
      return e !== undefined && reach([e], f.xml).length > 0 ? {} : null;
    case 'alias': {
      const child = e?.children.find((c) => c.name === 'alias');
      return child === undefined ? null : aliasFromName(child.attrs.name ?? '');
    }
    case 'xmlName': {
      if (e === undefined) return { Space: '', Local: '' };
      const colon = e.name.indexOf(':');
      return { Space: e.attrs.xmlns ?? '', Local: colon < 0 ? e.name : e.name.slice(colon + 1) };
    }
    case 'zero':
      return f.value;
  }
}

/** The JSON of one Go struct decoded from `e`; an absent element gives the struct's zero value. */
export function decodeStruct(def: GoStruct, e: XmlElement | undefined, where = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [goName, f] of Object.entries(def)) out[goName] = field(f, e, where || (e?.name ?? ''));
  return out;
}
