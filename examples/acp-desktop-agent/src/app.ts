import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import {
  client,
  methods,
  ndJsonStream,
  type ClientConnection,
  type InitializeResponse,
  type NewSessionRequest,
} from '@agentclientprotocol/sdk';
import { createAcpTap, tapStream, type AcpTap } from '@drawdown/acp';
import type { Hub } from '@drawdown/core';

export interface AcpDesktopAppOptions {
  hub: Hub;
  /** The ACP agent to run, e.g. `['npx', '@agentclientprotocol/claude-agent-acp']`. */
  agent: string[];
  /** The app's environment; each agent's is shaped from it for its route entry. */
  env: NodeJS.ProcessEnv;
  /** The project the session works in. */
  cwd: string;
  /** What the app would show in its status bar. */
  say?(line: string): void;
}

interface RunningAgent {
  entry: string;
  child: ChildProcessWithoutNullStreams;
  connection: ClientConnection;
  tap: AcpTap;
  capabilities: InitializeResponse['agentCapabilities'];
}

/**
 * A desktop app's ACP side: one agent process at a time, started under the route entry that pays
 * now. Before each prompt the app asks the tap to admit it; when the route has left the agent's
 * entry (the hub announces `route.switched`, e.g. the trial is spent), the app ends the agent and
 * starts it again under the new entry, with that entry's child environment, and resumes the same
 * session where the adapter allows it.
 */
export async function startAcpDesktopApp(options: AcpDesktopAppOptions) {
  const { hub } = options;
  const say = options.say ?? (() => undefined);
  let sessionId: string | undefined;
  let agent: RunningAgent | undefined;
  let switchTo: string | undefined;
  const offSwitched = hub.on('route.switched', (event) => {
    say(`route.switched ${event.from} → ${event.to}: ${event.reason}`);
    switchTo = event.to;
  });

  async function start(entry: string): Promise<RunningAgent> {
    const [command, ...args] = options.agent as [string, ...string[]];
    // The entry's environment: the bundled key for the trial; for personal, no key at all, so the
    // agent uses the user's own sign-in.
    const child = spawn(command, args, {
      env: hub.childEnv(entry, options.env) as NodeJS.ProcessEnv,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stderr.resume();
    const tap = createAcpTap({ hub, entry, followRoute: true });
    const stream = tapStream(
      ndJsonStream(
        Writable.toWeb(child.stdin) as WritableStream<Uint8Array>,
        Readable.toWeb(child.stdout) as ReadableStream<Uint8Array>,
      ),
      tap,
    );
    const connection = client({ name: 'acp-desktop-agent' })
      .onNotification(methods.client.session.update, () => undefined)
      .onRequest(methods.client.session.requestPermission, () => ({ outcome: { outcome: 'cancelled' } }))
      .connect(stream);
    const init = await connection.agent.request(methods.agent.initialize, {
      protocolVersion: 1,
      clientCapabilities: {},
    });
    say(`agent started under "${entry}"`);
    return { entry, child, connection, tap, capabilities: init.agentCapabilities };
  }

  async function stop(running: RunningAgent): Promise<void> {
    const exited = new Promise((resolve) => running.child.once('close', resolve));
    running.connection.close();
    running.child.stdin.end();
    running.child.kill('SIGTERM');
    await exited;
    await running.tap.close();
  }

  /** Opens the session on a fresh agent: resumed when the agent can, else loaded, else a new one. */
  async function openSession(running: RunningAgent): Promise<string> {
    // Typed, so the request helper infers each method's response (an untyped `[]` defeats that).
    const request: NewSessionRequest = { cwd: options.cwd, mcpServers: [] };
    if (sessionId !== undefined && running.capabilities?.sessionCapabilities?.resume) {
      await running.connection.agent.request(methods.agent.session.resume, { ...request, sessionId });
      say(`session ${sessionId.slice(0, 8)} resumed under "${running.entry}"`);
      return sessionId;
    }
    if (sessionId !== undefined && running.capabilities?.loadSession) {
      await running.connection.agent.request(methods.agent.session.load, { ...request, sessionId });
      say(`session ${sessionId.slice(0, 8)} loaded under "${running.entry}"`);
      return sessionId;
    }
    return (await running.connection.agent.request(methods.agent.session.new, request)).sessionId;
  }

  return {
    /** Sends one prompt, under whichever entry pays now; returns the entry that paid. */
    async prompt(text: string): Promise<{ entry: string; stopReason: string }> {
      if (!agent) {
        const next = (await hub.router.explain()).next;
        if (!next) throw new Error('no route entry can pay for a prompt now');
        agent = await start(next.entryId);
        sessionId = await openSession(agent);
      }
      const admitted = await agent.tap.admit(sessionId!);
      // Nothing on the route can pay (the trial is spent and there is no next entry): say why, send nothing.
      if (admitted.refused) throw admitted.refused;
      if (admitted.switched || (switchTo !== undefined && switchTo !== agent.entry)) {
        const entry = admitted.switched ? admitted.entry : switchTo!;
        say(`restarting the agent under "${entry}"`);
        await stop(agent);
        agent = await start(entry);
        sessionId = await openSession(agent);
        await agent.tap.admit(sessionId);
      }
      switchTo = undefined;
      const response = await agent.connection.agent.request(methods.agent.session.prompt, {
        sessionId: sessionId!,
        prompt: [{ type: 'text', text }],
      });
      await agent.tap.idle();
      return { entry: agent.entry, stopReason: response.stopReason };
    },
    get entry() {
      return agent?.entry;
    },
    async close() {
      offSwitched();
      if (agent) await stop(agent);
      agent = undefined;
    },
  };
}
