import { AUDIT_USAGE } from './audit.js';
import { DIRECTORY_USAGE } from './directory.js';
import { ENROLL_USAGE } from './enroll.js';
import { FACTORS_USAGE } from './factors.js';
import { TOKENS_USAGE } from './tokens.js';
import { USERS_USAGE } from './users.js';

export const USAGE = `Usage: gatehouse <command> [options]     (gatehouse <command> --help for one command)

Commands:
  serve [--config FILE]            run the gateway (config also from GATEHOUSE_CONFIG)
  check-config [--config FILE] [--connect]
                                   validate a config file, its users file and LDAP section, then exit;
                                   --connect also connects to each LDAP server as the service account
  directory test [USER]            LDAP: bind as the service account, find USER, print their groups
                                   (nested resolved) and the time of each step
  healthcheck [--config FILE]      exit 0 if the gateway of that config answers /healthz (for container HEALTHCHECKs)
  hash-password                    read a password on stdin, print its argon2id hash
  policy explain [--config FILE] --url URL [--user NAME] [--groups a,b] [--ip ADDR] [--method GET] [--factors totp,...]
                                   print the access decision and the rule that made it
  tokens import FILE [--format pskc|csv] [--password-file F] [--key-file F]
  tokens assign SERIAL USERNAME | tokens unassign SERIAL | tokens list
                                   OATH hardware tokens (all-or-nothing import; --config as above)
  enroll issue USERNAME [--ttl 24h] a single-use code for a user's first second factor
  factors list USERNAME            a user's second factors: added, last used, clock drift
  users list [--search S] | users show NAME
                                   accounts with lock, disabling, factors and last sign-in
  users unlock NAME | users reset-factors NAME | users disable NAME [--reason R] | users enable NAME
                                   an administrator's actions (audited as cli:<OS user>; needs Redis)
  sessions list NAME | sessions revoke NAME (ID | --all)
                                   a user's live sessions on every instance, and ending them
  audit tail [--follow] [--lines N] [--kind K] [--user U]   recent audit events as JSON lines
  audit export [--since ISO|DURATION] [--until ...] [--kind K] [--user U]   the audit log as JSON lines
  storage rotate-key [--config FILE] re-encrypt every secret under the first encryption key
  storage copy --from FILE.db [--config FILE]   copy a SQLite database into the empty PostgreSQL of storage.postgres
  demo [--port 9091]               start a demo: gateway + sample app + two users, no Redis needed
`;

/** What `gatehouse COMMAND --help` prints: the command's own usage, as its errors print it. */
const HELP: Readonly<Record<string, string>> = {
  serve: 'Usage: gatehouse serve [--config FILE]\n\nRuns the gateway until SIGTERM or SIGINT. The config file may also be named by GATEHOUSE_CONFIG.\n',
  'check-config':
    'Usage: gatehouse check-config [--config FILE] [--connect]\n\nValidates a config file, the users file it names and its LDAP section, prints every error with its path, and exits 1 on any. With --connect it also connects to each LDAP server and binds as the service account.\n',
  directory: DIRECTORY_USAGE,
  healthcheck:
    'Usage: gatehouse healthcheck [--config FILE]\n\nAsks the gateway that config describes for /healthz on its own address and exits 0 on a 200, 1 otherwise (for container HEALTHCHECKs). The config file may also be named by GATEHOUSE_CONFIG.\n',
  'hash-password':
    "Usage: gatehouse hash-password [--config FILE]\n\nReads one password (asked twice on a terminal, the first line from a pipe) and prints its argon2id hash for the users file,\nwith the parameters of authentication.password_hash in FILE (or GATEHOUSE_CONFIG); without a config, OWASP's profile (m=19 MiB, t=2, p=1).\n",
  policy:
    'Usage: gatehouse policy explain [--config FILE] --url URL [--user NAME] [--groups a,b] [--ip ADDR] [--method GET] [--factors totp,...]\n\nPrints the access decision for a request and the rule that made it. Without --user the request is anonymous.\n',
  tokens: TOKENS_USAGE,
  enroll: ENROLL_USAGE,
  factors: FACTORS_USAGE,
  users: USERS_USAGE,
  sessions: USERS_USAGE,
  audit: AUDIT_USAGE,
  storage:
    'Usage: gatehouse storage rotate-key [--config FILE]\n       gatehouse storage copy --from FILE.db [--config FILE]\n\nrotate-key re-encrypts every secret at rest under the first of storage.encryption_keys. copy moves a SQLite database into the empty PostgreSQL named by storage.postgres (secrets stay sealed, row counts are verified).\n',
  demo: 'Usage: gatehouse demo [--port 9091]\n\nStarts a demo on http://localhost:PORT/: the gateway in front of a sample app, two users, sessions in memory, no Redis. Ctrl+C stops it and removes its temporary folder.\n',
};

/** The commands `--help` knows, for the tests that check each. */
export const COMMANDS_WITH_HELP = Object.keys(HELP);

export { asksForHelp } from './asks-for-help.js';

export function helpFor(command: string): string | undefined {
  return Object.hasOwn(HELP, command) ? HELP[command] : undefined;
}
