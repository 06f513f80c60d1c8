/**
 * The files scenario L runs LemonLDAP::NG's FastCGI server with, all under one temporary folder
 * (nothing of /etc/lemonldap-ng or /var/lib/lemonldap-ng is read or written): its
 * lemonldap-ng.ini (found through LLNG_DEFAULTCONFFILE, Lemonldap::NG::Common::Conf), a File
 * configuration store holding lmConf-1.json, and nginx's portal and protected vhosts.
 */
import { join } from 'node:path';
import { PROXY_HEADERS } from './nginx-configs.js';

/** Where LemonLDAP::NG keeps its state for the bench: every path under `dir`. */
export function lemonldapPaths(dir: string) {
  return {
    ini: join(dir, 'lemonldap-ng.ini'),
    confDir: join(dir, 'conf'),
    conf: join(dir, 'conf', 'lmConf-1.json'),
    sessions: join(dir, 'sessions'),
    sessionLocks: join(dir, 'sessions', 'lock'),
    persistentSessions: join(dir, 'psessions'),
    persistentSessionLocks: join(dir, 'psessions', 'lock'),
    cache: join(dir, 'cache'),
    socket: join(dir, 'llng-fastcgi.sock'),
    pidFile: join(dir, 'llng-fastcgi.pid'),
    log: join(dir, 'llng-fastcgi.log'),
  };
}

/** Debian's lemonldap-ng.ini with every path moved under `dir`, and the handler's checkTime left at its default. */
export function lemonldapIni(dir: string): string {
  const p = lemonldapPaths(dir);
  return `[all]
logLevel = warn

[configuration]
type = File
dirName = ${p.confDir}
localStorage = Cache::FileCache
localStorageOptions = { 'namespace' => 'lemonldap-ng-config', 'default_expires_in' => 600, 'directory_umask' => '007', 'cache_root' => '${p.cache}', 'cache_depth' => 3 }

[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en

[handler]
status = 0
useRedirectOnError = 1
`;
}

/**
 * lmConf-1.json: Debian's shipped demo configuration cut to what the bench uses. Demo
 * authentication (dwho/dwho, rtyler/rtyler, msmith/msmith), sessions in files under `dir`
 * (Apache::Session::File, the package's default) with the handler's local cache
 * (Cache::FileCache) beside them, and for the protected host a policy shaped like the
 * gateway's bench policy: a bypass, an admin rule, then everyone signed in; four exported
 * headers, as F passes four. Registration is off and so are the captchas of the mail and
 * registration forms: their modules (MIME::Entity) are only Recommends of the portal package.
 */
export function lemonldapConf(dir: string, hosts: { portal: string; protected: string; domain: string }): Record<string, unknown> {
  const p = lemonldapPaths(dir);
  return {
    cfgNum: 1,
    cfgVersion: '2.16.1',
    cfgAuthor: 'gatehouse bench',
    cfgDate: '1700000000',
    authentication: 'Demo',
    userDB: 'Same',
    passwordDB: 'Demo',
    registerDB: 'Null',
    demoExportedVars: { cn: 'cn', mail: 'mail', uid: 'uid' },
    domain: hosts.domain,
    portal: `http://${hosts.portal}/`,
    cookieName: 'lemonldap',
    securedCookie: 0,
    timeout: 72000,
    globalStorage: 'Apache::Session::File',
    globalStorageOptions: {
      Directory: p.sessions,
      LockDirectory: p.sessionLocks,
      generateModule: 'Lemonldap::NG::Common::Apache::Session::Generate::SHA256',
    },
    persistentStorage: 'Apache::Session::File',
    persistentStorageOptions: { Directory: p.persistentSessions, LockDirectory: p.persistentSessionLocks },
    localSessionStorage: 'Cache::FileCache',
    localSessionStorageOptions: { cache_depth: 3, cache_root: p.cache, default_expires_in: 600, directory_umask: '007', namespace: 'lemonldap-ng-sessions' },
    locationRules: {
      [hosts.portal]: { default: 'accept' },
      [hosts.protected]: {
        '(?#public)^/public/': 'skip',
        '(?#admin)^/admin(?:/|$)': '$uid eq "dwho"',
        default: 'accept',
      },
    },
    exportedHeaders: {
      [hosts.protected]: { 'Auth-User': '$uid', 'Auth-Name': '$cn', 'Auth-Email': '$mail', 'Auth-Groups': '$groups' },
    },
    exportedVars: {},
    groups: {},
    macros: {},
    whatToTrace: 'uid',
    notification: 0,
    loginHistoryEnabled: 0,
    captcha_login_enabled: 0,
    captcha_mail_enabled: 0,
    captcha_register_enabled: 0,
  };
}

/** FastCGI parameters of nginx's fastcgi_params (Debian's /etc/nginx/fastcgi_params), inline so that nothing of /etc is read. */
const FASTCGI_PARAMS = `
      fastcgi_param QUERY_STRING $query_string;
      fastcgi_param REQUEST_METHOD $request_method;
      fastcgi_param CONTENT_TYPE $content_type;
      fastcgi_param CONTENT_LENGTH $content_length;
      fastcgi_param SCRIPT_NAME $fastcgi_script_name;
      fastcgi_param REQUEST_URI $request_uri;
      fastcgi_param DOCUMENT_URI $document_uri;
      fastcgi_param DOCUMENT_ROOT $document_root;
      fastcgi_param SERVER_PROTOCOL $server_protocol;
      fastcgi_param REQUEST_SCHEME $scheme;
      fastcgi_param GATEWAY_INTERFACE CGI/1.1;
      fastcgi_param SERVER_SOFTWARE nginx/$nginx_version;
      fastcgi_param REMOTE_ADDR $remote_addr;
      fastcgi_param REMOTE_PORT $remote_port;
      fastcgi_param SERVER_ADDR $server_addr;
      fastcgi_param SERVER_PORT $server_port;
      fastcgi_param SERVER_NAME $server_name;`;

/** test-nginx.conf's handler call, in each protected location. */
const AUTH_REQUEST = `
      set $original_uri $uri$is_args$args;
      auth_request /lmauth;
      auth_request_set $lmlocation $upstream_http_location;
      auth_request_set $llng_user   $upstream_http_auth_user;
      auth_request_set $llng_groups $upstream_http_auth_groups;
      auth_request_set $llng_name   $upstream_http_auth_name;
      auth_request_set $llng_email  $upstream_http_auth_email;
      error_page 401 $lmlocation;`;

/** The exported headers to the application, as F passes Remote-User and the rest. */
const PASS_ON = `
      proxy_set_header Auth-User   $llng_user;
      proxy_set_header Auth-Groups $llng_groups;
      proxy_set_header Auth-Name   $llng_name;
      proxy_set_header Auth-Email  $llng_email;`;

/** Path under the protected host that goes to the echo upstream instead: the check sees what LemonLDAP::NG passed on. */
export const ECHO_PREFIX = '/bench-echo/';

/**
 * Scenario L's nginx: Debian's portal-nginx.conf (the portal as a PSGI app of the FastCGI
 * server) and handler test-nginx.conf (`auth_request` to the handler over FastCGI, the 401
 * turned into the portal redirect), with proxy_pass to the bench's upstream as F has, and the
 * exported headers passed on as F passes Gatehouse's.
 */
export function lemonldapNginxConfig(options: { socket: string; upstreamPort: number; echoPort: number; portalHost: string; protectedHost: string }) {
  return (port: number) => `
  upstream llng { server unix:${options.socket}; }
  upstream app { server 127.0.0.1:${options.upstreamPort}; keepalive 128; }
  upstream echo { server 127.0.0.1:${options.echoPort}; }
  server {
    listen 127.0.0.1:${port};
    server_name ${options.portalHost};
    root /usr/share/lemonldap-ng/portal/htdocs/;
    if ($uri !~ ^/((static|javascript|favicon).*|.*\\.psgi)) { rewrite ^/(.*)$ /index.psgi/$1 break; }
    location ~ ^(?<sc>/.*\\.psgi)(?:$|/) {${FASTCGI_PARAMS}
      fastcgi_pass llng;
      fastcgi_param HTTP_HOST $host;
      fastcgi_param LLTYPE psgi;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_split_path_info ^(.*\\.psgi)(/.*)$;
      fastcgi_param PATH_INFO $fastcgi_path_info;
    }
  }
  server {
    listen 127.0.0.1:${port};
    server_name ${options.protectedHost};
    location = /lmauth {
      internal;${FASTCGI_PARAMS}
      fastcgi_pass llng;
      fastcgi_pass_request_body off;
      fastcgi_param CONTENT_LENGTH "";
      fastcgi_param HTTP_HOST $host;
      fastcgi_param X_ORIGINAL_URI $original_uri;
    }
    location / {${AUTH_REQUEST}
      proxy_pass http://app;${PROXY_HEADERS}${PASS_ON}
    }
    location ${ECHO_PREFIX} {${AUTH_REQUEST}
      proxy_pass http://echo;${PROXY_HEADERS}${PASS_ON}
    }
  }`;
}

/** The hidden one-time token of the portal's sign-in form (requireToken is on by default). */
export function loginTokenOf(html: string): string | undefined {
  const form = /<form[^>]*id="lform"[\s\S]*?<\/form>/.exec(html)?.[0];
  if (!form) return undefined;
  for (const input of form.match(/<input\b[^>]*>/g) ?? []) {
    if (!/\bname="token"/.test(input)) continue;
    const value = /\bvalue="([^"]*)"/.exec(input)?.[1];
    return value ? value : undefined;
  }
  return undefined;
}

/** The SSO session id from a portal response's Set-Cookie lines: 64 hex digits (SHA256 generator), or nothing. */
export function ssoSessionOf(setCookie: readonly string[] | undefined, cookieName = 'lemonldap'): string | undefined {
  for (const line of setCookie ?? []) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== cookieName) continue;
    const value = pair.slice(eq + 1).trim();
    return /^[0-9a-f]{64}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/** The FastCGI processes of one llng-fastcgi-server: its manager and the workers it forked (`ppid`). */
export function fastcgiProcesses(managerPid: number, processes: ReadonlyArray<{ pid: number; ppid: number }>): number[] {
  return [managerPid, ...processes.filter((p) => p.ppid === managerPid && p.pid !== managerPid).map((p) => p.pid)];
}
