// The wiring rule: which wires a network may have. inferShapes applies it to every wire of a
// document it reads; the editor asks it before it adds a wire the user drags, so a refused
// wire carries the engine's own message and the two can never disagree.
import { nodeParams, type DocNode, type NetworkDocument } from './document.ts';
import type { Problem } from './layer.ts';
import { layerDef } from './registry.ts';

export interface Wire {
  id?: string;
  source: string;
  target: string;
  targetPort: number;
}

/** How messages name a node: its label and type, or its type and id. */
export function nodeLabel(n: DocNode): string {
  return n.label ? `${n.label} (${n.type})` : `${n.type} "${n.id}"`;
}

/**
 * Why `wire` cannot join `src` to an input port of `dst`, or null when it can. `src`, `dst`:
 * its nodes (undefined where missing); `ports`: the source wired into each input port of `dst`
 * so far (its length is the number of ports), or null when `dst`'s parameters are broken and
 * its ports unknown (those problems are reported with the parameters).
 */
export function edgeProblem(wire: Wire, src: DocNode | undefined, dst: DocNode | undefined, ports: readonly (string | undefined)[] | null): Problem | null {
  const at = wire.id ? { edgeId: wire.id } : {};
  if (!src || !dst) return { ...at, code: 'dangling-edge', params: { edge: wire.id ?? `${wire.source} → ${wire.target}`, node: !src ? wire.source : wire.target }, message: `connection ${wire.id ?? `${wire.source} → ${wire.target}`} refers to a missing node "${!src ? wire.source : wire.target}"` };
  if (wire.source === wire.target) return { nodeId: wire.target, ...at, code: 'cycle', params: { form: 'self', layer: nodeLabel(dst) }, message: `${nodeLabel(dst)} is connected to itself` };
  if (!ports) return null;
  const port = wire.targetPort;
  if (port < 0 || port >= ports.length) {
    return { nodeId: wire.target, ...at, code: 'bad-port', params: { form: ports.length === 0 ? 'none' : 'missing', layer: nodeLabel(dst), ports: ports.length, port: port + 1 }, message: ports.length === 0 ? `${nodeLabel(dst)} takes no input` : `${nodeLabel(dst)} has ${ports.length} input port(s); port ${port + 1} does not exist` };
  }
  if (ports[port] !== undefined) {
    return { nodeId: wire.target, ...at, code: 'port-wired-twice', params: { port: port + 1, layer: nodeLabel(dst), first: String(ports[port]), second: wire.source }, message: `input ${port + 1} of ${nodeLabel(dst)} is connected twice (from ${ports[port]} and ${wire.source})` };
  }
  if (src.type === 'Output') return { nodeId: wire.source, ...at, code: 'output-has-consumer', params: {}, message: 'the output head must be the last layer; nothing can follow it' };
  return null;
}

/** Why a new wire cannot be added to `doc`: edgeProblem against the wires it has, or the cycle it would close. */
export function newWireProblem(doc: Pick<NetworkDocument, 'nodes' | 'edges'>, wire: Wire): Problem | null {
  const src = doc.nodes.find((n) => n.id === wire.source);
  const dst = doc.nodes.find((n) => n.id === wire.target);
  let ports: (string | undefined)[] = [];
  if (dst) {
    const def = layerDef(dst.type);
    let count = 0;
    try {
      count = def ? def.inputs(nodeParams(dst)) : 0;
    } catch {
      // parameters too broken to count the ports: none can be wired until they are fixed
    }
    ports = new Array<string | undefined>(count).fill(undefined);
    for (const e of doc.edges) if (e.target === dst.id && e.targetPort >= 0 && e.targetPort < count) ports[e.targetPort] = e.source;
  }
  const why = edgeProblem(wire, src, dst, ports);
  if (why) return why;
  if (reaches(doc.edges, wire.target, wire.source)) {
    return { nodeId: wire.target, code: 'cycle', params: { form: 'new', layer: nodeLabel(dst!), path: `${nodeLabel(src!)} → ${nodeLabel(dst!)}` }, message: `wiring ${nodeLabel(src!)} into ${nodeLabel(dst!)} would close a cycle; networks must flow one way` };
  }
  return null;
}

/** True when `to` can be reached from `from` following wires forward. */
function reaches(edges: readonly Wire[], from: string, to: string): boolean {
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === to) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(out.get(id) ?? []));
  }
  return false;
}
