// Test harness for the examples' end-to-end tests: builds the example
// commands, starts them on free loopback ports, connects ResClient
// instances to them, and stops everything it started.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import resclient from 'resclient';

export const ResClient = resclient.default;
export const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = path.resolve(examplesDir, '..');

// How long to wait for something to happen before failing. Generous: the
// tests check what happens, not how fast.
export const patience = 30000;

const packages = {
	resgateway: './gateway/cmd/resgateway'
};

let binDir = process.env.EXAMPLES_BIN || '';

// binary returns the path of the built command name (an example's folder
// name, or "resgateway"), building it first unless EXAMPLES_BIN already
// holds it.
export function binary(name) {
	if (!binDir) {
		binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'res-examples-bin-'));
		process.on('exit', () => fs.rmSync(binDir, { recursive: true, force: true }));
	}
	const out = path.join(binDir, name);
	if (!fs.existsSync(out)) {
		const pkg = packages[name] || './examples/' + name;
		execFileSync('go', ['build', '-o', out, pkg], { cwd: repoDir, stdio: ['ignore', 'inherit', 'inherit'] });
	}
	return out;
}

// Processes started by this test file, killed when it ends, whatever
// happens.
const children = new Set();
process.on('exit', () => {
	for (const p of children) {
		try { p.kill('SIGKILL'); } catch { /* already gone */ }
	}
});

// startProcess starts a command and returns a handle whose output() is what
// it printed so far, waitForOutput(re) waits for a line matching re, and
// stop() ends it.
export function startProcess(cmd, args, { cwd = examplesDir } = {}) {
	const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
	children.add(child);
	let output = '';
	const waiters = new Set();
	const exited = new Promise(resolve => child.on('exit', (code, signal) => {
		children.delete(child);
		resolve({ code, signal });
		for (const w of waiters) w.check(true);
	}));
	const onData = chunk => {
		output += chunk.toString();
		if (process.env.EXAMPLES_VERBOSE) process.stderr.write(chunk);
		for (const w of waiters) w.check(false);
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);

	return {
		child,
		output: () => output,
		exited,
		waitForOutput(re, timeout = patience) {
			return new Promise((resolve, reject) => {
				const w = {
					check(dead) {
						const m = output.match(re);
						if (m) {
							finish();
							resolve(m);
						} else if (dead) {
							finish();
							reject(new Error(`${path.basename(cmd)} exited before printing ${re}; it printed:\n${output}`));
						}
					}
				};
				const timer = setTimeout(() => {
					finish();
					reject(new Error(`${path.basename(cmd)} did not print ${re} within ${timeout} ms; it printed:\n${output}`));
				}, timeout);
				const finish = () => { clearTimeout(timer); waiters.delete(w); };
				waiters.add(w);
				w.check(child.exitCode !== null || child.signalCode !== null);
			});
		},
		async stop() {
			if (child.exitCode !== null || child.signalCode !== null) return exited;
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
			const res = await exited;
			clearTimeout(timer);
			return res;
		}
	};
}

// startExample starts example name on free loopback ports and waits until
// it prints where it is. It runs in the examples folder, where it finds
// ResClient in node_modules, unless cwd says otherwise. It returns the page's URL, the gateway's
// WebSocket URL, the NATS server's URL and stop().
export async function startExample(name, args = [], { cwd } = {}) {
	const p = startProcess(binary(name), ['--addr', '127.0.0.1', '--port', '0', ...args], { cwd });
	const [, url] = await p.waitForOutput(/open (http:\/\/\S+) in a browser/);
	const [, natsURL] = await p.waitForOutput(/NATS server: (\S+)/);
	return {
		...p,
		name,
		url,
		wsURL: url.replace(/^http/, 'ws'),
		natsURL
	};
}

// startGateway starts the resgateway command on NATS server natsURL, on port
// (a free one when not given), and waits until it accepts connections.
export async function startGateway(natsURL, port) {
	port = port || await freePort();
	const p = startProcess(binary('resgateway'), ['--nats', natsURL, '--addr', '127.0.0.1', '--port', String(port)]);
	await waitFor(() => canConnect(port).then(ok => ok || p.child.exitCode !== null), `resgateway listening on port ${port}`);
	if (p.child.exitCode !== null) {
		throw new Error(`resgateway exited; it printed:\n${p.output()}`);
	}
	return { ...p, port, wsURL: `ws://127.0.0.1:${port}` };
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

function canConnect(port) {
	return new Promise(resolve => {
		const s = net.connect(port, '127.0.0.1');
		s.on('connect', () => { s.destroy(); resolve(true); });
		s.on('error', () => resolve(false));
	});
}

// connect returns a ResClient for the gateway at wsURL, sending headers
// with the WebSocket upgrade. The client is disconnected by closeAll. Its
// frames property lists the messages the gateway sent it, decoded, for
// what ResClient does not pass on (such as why a resource was
// unsubscribed).
const clients = new Set();
export function connect(wsURL, { headers } = {}) {
	const frames = [];
	const client = new ResClient(() => {
		const ws = new WebSocket(wsURL, { headers });
		ws.on('message', data => frames.push(JSON.parse(data.toString())));
		return ws;
	});
	client.frames = frames;
	clients.add(client);
	return client;
}

// unsubscribeReason returns the reason the gateway gave client for
// unsubscribing it from rid, or undefined if it did not.
export function unsubscribeReason(client, rid) {
	const f = client.frames.find(f => f.event === rid + '.unsubscribe');
	return f && f.data && f.data.reason;
}

// closeAll disconnects every client made by connect.
export function closeAll() {
	for (const c of clients) c.disconnect();
	clients.clear();
}

// waitFor polls check (which may return a promise) until it returns a truthy
// value, and returns that value. It fails after timeout with what.
export async function waitFor(check, what, timeout = patience) {
	const deadline = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			const v = await check();
			if (v) return v;
		} catch (err) {
			last = err;
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}` + (last ? `: ${last.message}` : ''));
		}
		await new Promise(r => setTimeout(r, 25));
	}
}

// recorder listens to event name on a ResClient resource and keeps what it
// gets, so that a test can wait for it. Listening also keeps the resource
// subscribed.
export function recorder(resource, name) {
	const got = [];
	resource.on(name, ev => got.push(ev));
	return got;
}

// rejection returns the error a promise rejects with, and fails if it
// resolves.
export async function rejection(promise) {
	try {
		const v = await promise;
		throw new Error('expected an error, got ' + JSON.stringify(v));
	} catch (err) {
		if (err && err.code) return err;
		throw err;
	}
}

// within waits for promise, and fails after timeout with what.
export function within(promise, what, timeout = patience) {
	let timer;
	const fail = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeout);
	});
	return Promise.race([promise, fail]).finally(() => clearTimeout(timer));
}
