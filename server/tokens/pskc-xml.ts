import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * A parsed element: child elements by local name (namespace prefixes removed), each always an
 * array; attributes under "@name"; text under "#text". Text-only elements are plain strings.
 */
export type XmlElement = { readonly [name: string]: unknown };
type XmlValue = string | XmlElement;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  // Values stay text: "0123" is a serial, not the number 123.
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  maxNestedTags: 32,
});

/**
 * Parses one XML document whose root must be `rootName`. Any DOCTYPE or other markup
 * declaration is refused before parsing: PSKC never needs one, and it is the door to external
 * entities (XXE) and entity-expansion bombs. Entity processing is off as well.
 */
export function parseXmlDocument(text: string, rootName: string): { ok: true; root: XmlElement } | { ok: false; error: string } {
  const declaration = /<!(?!--|\[CDATA\[)/.exec(text);
  if (declaration) return { ok: false, error: `the file contains a DOCTYPE or other markup declaration (at offset ${declaration.index}); it is refused` };
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, error: `the file is not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})` };
  let document: XmlElement;
  try {
    document = parser.parse(text) as XmlElement;
  } catch (error) {
    // The parser refuses names such as __proto__ by throwing.
    return { ok: false, error: `the file is not acceptable XML: ${(error as Error).message}` };
  }
  const roots = Object.keys(document).filter((name) => !name.startsWith('?'));
  const rootList = document[rootName];
  if (roots.length !== 1 || !Array.isArray(rootList) || rootList.length !== 1) {
    return { ok: false, error: `the document's root element must be one <${rootName}> (found ${roots.map((r) => `<${r}>`).join(', ') || 'none'})` };
  }
  const root = rootList[0] as XmlValue;
  return { ok: true, root: typeof root === 'string' ? { '#text': root } : root };
}

/** Every child element of that local name. */
export function childElements(parent: XmlElement, name: string): XmlElement[] {
  const list = parent[name];
  if (!Array.isArray(list)) return [];
  return (list as XmlValue[]).map((value) => (typeof value === 'string' ? { '#text': value } : value));
}

/**
 * Follows a path of single children. Undefined when a step is missing; a repeated step is
 * reported (a second <Secret> must not be silently ignored) and also gives undefined.
 */
export function descend(parent: XmlElement | undefined, names: readonly string[], report: (message: string) => void): XmlElement | undefined {
  let node = parent;
  for (const [index, name] of names.entries()) {
    if (node === undefined) return undefined;
    const list = childElements(node, name);
    if (list.length > 1) {
      report(`<${names.slice(0, index + 1).join('/')}> appears ${list.length} times`);
      return undefined;
    }
    node = list[0];
  }
  return node;
}

export function textOf(element: XmlElement | undefined): string | undefined {
  if (element === undefined) return undefined;
  const text = element['#text'];
  return typeof text === 'string' ? text : '';
}

export function attributeOf(element: XmlElement | undefined, name: string): string | undefined {
  const value = element?.[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}
