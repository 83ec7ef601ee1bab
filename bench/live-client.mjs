// The client side of bench/live-connections.ts, in its own process: widget visitors, each with its own session and
// one live stream. Commands on stdin, one per line: "sessions" (start a chat per visitor), "open" (open every
// stream, answer once all are ready), "count" (live messages received since). Answers one JSON line each.
import { request } from 'node:http';
import { createInterface } from 'node:readline';

const [url, key, countArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const visitors = [];
let received = 0;

async function sessions() {
	let next = 0;
	await Promise.all(
		Array.from({ length: 20 }, async () => {
			while (next < COUNT) {
				next++;
				const res = await fetch(`${url}/widget/v1/messages?key=${key}`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ agentId: 'lead-qualifier', text: 'Hi, I need a new website' }),
				});
				if (res.status !== 200) throw new Error(`widget message answered ${res.status}: ${await res.text()}`);
				visitors.push((await res.json()).sessionToken);
			}
		}),
	);
	return { sessions: visitors.length };
}

function openStream(token) {
	return new Promise((resolve, reject) => {
		const req = request(`${url}/widget/v1/live?key=${key}`, { headers: { accept: 'text/event-stream', 'x-widget-session': token } }, (res) => {
			if (res.statusCode !== 200) return reject(new Error(`live answered ${res.statusCode}`));
			let buffer = '';
			let ready = false;
			res.setEncoding('utf8');
			res.on('data', (chunk) => {
				buffer += chunk;
				let at;
				while ((at = buffer.indexOf('\n\n')) >= 0) {
					const block = buffer.slice(0, at);
					buffer = buffer.slice(at + 2);
					if (block.includes('event: ready')) {
						ready = true;
						resolve();
					} else if (ready && block.includes('event: message')) received++;
				}
			});
		});
		req.on('error', reject);
		req.end();
	});
}

async function open() {
	for (let i = 0; i < visitors.length; i += 50) await Promise.all(visitors.slice(i, i + 50).map(openStream));
	return { open: visitors.length };
}

const commands = { sessions, open, count: async () => ({ received }) };
for await (const line of createInterface({ input: process.stdin })) {
	const command = commands[line.trim()];
	if (!command) continue;
	try {
		console.log(JSON.stringify(await command()));
	} catch (err) {
		console.log(JSON.stringify({ error: String(err) }));
	}
}
process.exit(0);
