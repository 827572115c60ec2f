// libvirt domain XML → a small element tree (name, attributes, children, text), the input of the
// Go-struct decoder. Pure; malformed input is a typed error, never a partial tree.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { VmpodError } from '../../errors.js';

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** The element's own character data, concatenated and trimmed. */
  readonly text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  allowBooleanAttributes: false,
});

type OrderedNode = Record<string, unknown>;

const ATTRS_KEY = ':@';
const TEXT_KEY = '#text';

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ATTRS_KEY);
  if (name === undefined || name === TEXT_KEY || name.startsWith('?')) return undefined;
  const rawAttrs = (node[ATTRS_KEY] ?? {}) as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[name] ?? []) as OrderedNode[]) {
    if (TEXT_KEY in child) {
      text += String(child[TEXT_KEY]);
      continue;
    }
    const el = toElement(child);
    if (el !== undefined) children.push(el);
  }
  return { name, attrs, children, text: text.trim() };
}

function malformed(message: string, facts: Record<string, string | number> = {}): VmpodError {
  return new VmpodError('DOMAIN_XML_MALFORMED', `domain XML is malformed: ${message}`, { facts });
}

/** Parses a document and returns its root element, which must be named `root`. */
export function parseXmlRoot(xml: string, root: string): XmlElement {
  if (typeof xml !== 'string' || xml.trim() === '') throw malformed('the document is empty');
  const verdict = XMLValidator.validate(xml, { allowBooleanAttributes: false });
  if (verdict !== true) {
    const { code, msg, line, col } = verdict.err;
    throw malformed(`${msg} (line ${line}, column ${col})`, { xmlError: code, line, col });
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (cause) {
    throw new VmpodError('DOMAIN_XML_MALFORMED', 'domain XML is malformed: the parser rejected it', {
      cause,
    });
  }
  const elements = nodes.map(toElement).filter((e): e is XmlElement => e !== undefined);
  const top = elements[0];
  if (elements.length !== 1 || top === undefined) {
    throw malformed(`expected one root element, found ${elements.length}`);
  }
  if (top.name !== root)
    throw malformed(`root element is <${top.name}>, expected <${root}>`, { root: top.name });
  return top;
}
