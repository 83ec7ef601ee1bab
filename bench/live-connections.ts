// Figure: resident memory of the agent server with 1,000 open live streams (widget visitors, each its own session
// and server-sent event stream), against the same server in the same run with its sessions made and 0 streams open.
// The server and the clients run in processes of their own. Also checks the streams are alive: workflow replies to
// some of the conversations reach their widgets.
// Run: npx tsx bench/live-connections.ts [connections=1000]
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const CONNECTIONS = Number(process.argv[2] ?? 1000);
const REPLIES = Math.min(20, CONNECTIONS);

function lines(child: ChildProcess) {
	const queue: string[] = [];
	let waiting: ((line: string) => void) | undefined;
	createInterface({ input: child.stdout! }).on('line', (line) => {
		if (waiting) {
			const w = waiting;
			waiting = undefined;
			w(line);
		} else queue.push(line);
	});
	return {
		next: () => new Promise<string>((resolve) => (queue.length ? resolve(queue.shift()!) : (waiting = resolve))),
	};
}

async function main() {
	const tsx = pathToFileURL(require.resolve('tsx')).href;
	const server = spawn(process.execPath, ['--expose-gc', '--import', tsx, path.join(__dirname, 'live-server.ts'), String(CONNECTIONS)], {
		stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
	});
	const { url, key, apiKey } = JSON.parse(await lines(server).next()) as { url: string; key: string; apiKey: string };
	const rss = () =>
		new Promise<{ rss: number; connections: number }>((resolve) => {
			server.once('message', (m) => resolve(m as { rss: number; connections: number }));
			server.send('rss');
		});

	const client = spawn(process.execPath, [path.join(__dirname, 'live-client.mjs'), url, key, String(CONNECTIONS)], { stdio: ['pipe', 'pipe', 'inherit'] });
	const answers = lines(client);
	const ask = async (command: string) => {
		client.stdin!.write(`${command}\n`);
		const answer = JSON.parse(await answers.next());
		if (answer.error) throw new Error(answer.error);
		return answer;
	};
	try {
		await ask('sessions');
		await new Promise((r) => setTimeout(r, 500));
		const reference = await rss();
		const opened = await ask('open');
		await new Promise((r) => setTimeout(r, 1000));
		const loaded = await rss();
		if (loaded.connections !== CONNECTIONS) throw new Error(`server counts ${loaded.connections} streams, expected ${CONNECTIONS}`);

		// Workflow replies to some conversations reach their open widgets.
		const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
		const conversations = (await (await fetch(`${url}/v1/conversations?channel=web&limit=${REPLIES}`, { headers: auth })).json()).data as { id: string }[];
		const started = Date.now();
		for (const c of conversations) {
			await fetch(`${url}/v1/conversations/${c.id}/replies`, { method: 'POST', headers: auth, body: JSON.stringify({ text: 'A workflow answers' }) });
		}
		let received = 0;
		while (Date.now() - started < 10_000 && received < conversations.length) {
			received = (await ask('count')).received;
			if (received < conversations.length) await new Promise((r) => setTimeout(r, 50));
		}

		const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
		const perConnectionKb = (loaded.rss - reference.rss) / 1024 / CONNECTIONS;
		console.log(`\nLive streams: server resident memory (connections=${opened.open}, clients in their own process)\n`);
		console.log('| open live streams | server RSS MB | per stream KB |');
		console.log('| --- | --- | --- |');
		console.log(`| 0 (reference, same server, sessions made) | ${mb(reference.rss)} | - |`);
		console.log(`| ${CONNECTIONS} | ${mb(loaded.rss)} | ${perConnectionKb.toFixed(1)} |`);
		console.log(`\nreplies delivered live: ${received} of ${conversations.length}`);
		console.log(`ratio: ${(loaded.rss / reference.rss).toFixed(3)} of the reference's resident memory`);
	} finally {
		client.kill();
		server.disconnect();
	}
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
