import type { RouteDecision } from '../../ports/telephony.js';
import type { RoutingSnapshot } from './continuity.model.js';

export interface Decided {
  decision: RouteDecision;
  /** True when the Fallback Experience chose the route. */
  continuity: boolean;
}

/**
 * The decision for a new inbound call to `to`. Pure and O(1): it reads only the snapshot.
 * While enabled: per-number forward beats the default; a message is played first, and with no
 * forward target the call hangs up after it. Disabled (or nothing configured for this number):
 * the number's inbound flow, else the default queue.
 */
export function decide(snapshot: RoutingSnapshot, to: string): Decided {
  if (snapshot.enabled) {
    const target = snapshot.forward.get(to) ?? snapshot.defaultTarget;
    const message = snapshot.message && { text: snapshot.message.downtime_message, language: snapshot.message.language };
    if (target) return { continuity: true, decision: { action: 'forward', forward_to: target, message, flow_id: null } };
    if (message) return { continuity: true, decision: { action: 'message', forward_to: null, message, flow_id: null } };
  }
  const flowId = snapshot.inboundFlows.get(to) ?? null;
  if (flowId) return { continuity: false, decision: { action: 'flow', forward_to: null, message: null, flow_id: flowId } };
  return { continuity: false, decision: { action: 'queue', forward_to: null, message: null, flow_id: null } };
}
