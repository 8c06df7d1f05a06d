// The running agent as a StateSource for the state page: its actor tree (with since-when per
// actor from the recorder), the recorder's last events, and the graphs of its machines.
import type { AnyActorRef } from 'xstate';
import { describeActor } from './actorTree.js';
import { AGENT_MACHINES, machineGraph } from './machineGraph.js';
import type { StateRecorder } from './stateRecorder.js';
import type { MachineGraph, StateSource, StateView } from './viewTypes.js';

export function agentStateSource(root: AnyActorRef, recorder: StateRecorder, title: () => string): StateSource {
  // Definitions do not change while the agent runs: graph them once.
  let machines: MachineGraph[] | undefined;
  return {
    view(): StateView {
      machines ??= AGENT_MACHINES.map(machineGraph);
      return {
        title: title(),
        at: Date.now(),
        tree: describeActor(root, { sinceOf: (ref) => recorder.sinceOf(ref) }),
        events: recorder.events(),
        machines,
      };
    },
    subscribe: (listener) => recorder.subscribe(listener),
  };
}
