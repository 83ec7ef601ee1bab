// A local SMTP server for tests (the `smtp-server` package, the SMTP side of Nodemailer): it takes mail for any
// recipient from a client that logs in with the given user, and keeps each message parsed (`mailparser`).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
	/** The SMTP envelope: who logged in, MAIL FROM and RCPT TO. */
	user: string | undefined;
	mailFrom: string;
	rcptTo: string[];
	parsed: ParsedMail;
}

export interface SmtpSink {
	host: string;
	port: number;
	user: string;
	password: string;
	received: ReceivedMail[];
	/** Login attempts refused for a wrong user or password. */
	refusedLogins: number;
	close(): Promise<void>;
}

/** Mailboxes on `unknown.example.com` do not exist: RCPT TO gets 550, as a real relay answers for them. */
const UNKNOWN_DOMAIN = '@unknown.example.com';

export async function startSmtpSink(credentials = { user: 'n8n-mailer', password: 'smtp-secret' }): Promise<SmtpSink> {
	const received: ReceivedMail[] = [];
	let refusedLogins = 0;
	const server = new SMTPServer({
		// Plain SMTP on loopback: no certificate; login is still required, as on a real relay.
		secure: false,
		disabledCommands: ['STARTTLS'],
		allowInsecureAuth: true,
		authMethods: ['PLAIN', 'LOGIN'],
		logger: false,
		onAuth(auth, _session, callback) {
			if (auth.username === credentials.user && auth.password === credentials.password) return callback(null, { user: auth.username });
			refusedLogins++;
			return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
		},
		onRcptTo(address, _session, callback) {
			if (address.address.toLowerCase().endsWith(UNKNOWN_DOMAIN)) {
				return callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: mailbox unavailable`), { responseCode: 550 }));
			}
			return callback();
		},
		onData(stream, session, callback) {
			simpleParser(stream)
				.then((parsed) => {
					received.push({
						user: session.user as string | undefined,
						mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
						rcptTo: session.envelope.rcptTo.map((r) => r.address),
						parsed,
					});
					callback();
				})
				.catch((error: Error) => callback(error));
		},
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.server.address() as AddressInfo;
	return {
		host: '127.0.0.1',
		port,
		...credentials,
		received,
		get refusedLogins() {
			return refusedLogins;
		},
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}
