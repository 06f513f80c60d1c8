import { describe, expect, it } from 'vitest';
import { ECHO_PREFIX, fastcgiProcesses, lemonldapConf, lemonldapIni, lemonldapNginxConfig, lemonldapPaths, loginTokenOf, ssoSessionOf } from './lemonldap-config.js';

const DIR = '/tmp/gatehouse-bench-llng-abc123';
const HOSTS = { portal: 'sso.localhost', protected: 'wiki.localhost', domain: 'localhost' };

/** Every file-system path in a text or a JSON value (URL paths such as /static or /public/ are not file-system ones). */
const pathsIn = (text: string) => text.match(/\/(?:tmp|var|etc|usr|run|srv|opt|home)\/[\w./-]*/g) ?? [];

describe('lemonldapIni', () => {
  const ini = lemonldapIni(DIR);

  it('points the File configuration store and its cache into the folder', () => {
    expect(ini).toMatch(/^\[configuration\]\ntype = File\ndirName = \/tmp\/gatehouse-bench-llng-abc123\/conf$/m);
    expect(ini).toContain(`'cache_root' => '${DIR}/cache'`);
  });

  it('reads and writes nothing of the system installation', () => {
    for (const path of pathsIn(ini)) expect(path.startsWith(DIR) || path.startsWith('/usr/share/lemonldap-ng/')).toBe(true);
    expect(ini).not.toMatch(/\/etc\/|\/var\//);
  });

  it('leaves checkTime at its default instead of Debian demo value of 1 s', () => expect(ini).not.toMatch(/checkTime/));
});

describe('lemonldapConf', () => {
  const conf = lemonldapConf(DIR, HOSTS);
  const text = JSON.stringify(conf);

  it('keeps every session store, lock and cache in the folder', () => {
    const stored = pathsIn(text).filter((p) => !p.startsWith('/usr/'));
    expect(stored.length).toBeGreaterThanOrEqual(5);
    for (const path of stored) expect(path.startsWith(`${DIR}/`)).toBe(true);
    expect(text).not.toMatch(/\/var\/lib|\/etc\//);
  });

  it('signs in with the Demo backend and the portal on the portal host', () => {
    expect(conf).toMatchObject({ authentication: 'Demo', userDB: 'Same', passwordDB: 'Demo', portal: 'http://sso.localhost/', domain: 'localhost', cookieName: 'lemonldap' });
  });

  it('turns off what needs modules the packages only recommend', () => {
    expect(conf).toMatchObject({ registerDB: 'Null', captcha_mail_enabled: 0, captcha_register_enabled: 0, captcha_login_enabled: 0 });
  });

  it("protects the bench's host with a bypass, an admin rule and a default, and exports four headers", () => {
    const rules = (conf.locationRules as Record<string, Record<string, string>>)[HOSTS.protected]!;
    expect(Object.keys(rules)).toHaveLength(3);
    expect(rules.default).toBe('accept');
    expect(Object.values(rules)).toContain('skip');
    expect(Object.keys((conf.exportedHeaders as Record<string, object>)[HOSTS.protected]!)).toEqual(['Auth-User', 'Auth-Name', 'Auth-Email', 'Auth-Groups']);
  });

  it('uses the configuration number its file name carries', () => {
    expect(conf.cfgNum).toBe(1);
    expect(lemonldapPaths(DIR).conf.endsWith('/lmConf-1.json')).toBe(true);
  });
});

describe('lemonldapNginxConfig', () => {
  const conf = lemonldapNginxConfig({ socket: `${DIR}/llng.sock`, upstreamPort: 4001, echoPort: 4002, portalHost: 'sso.localhost', protectedHost: 'wiki.localhost' })(4000);
  const location = (prefix: string) => {
    const start = conf.indexOf(`location ${prefix} {`);
    return conf.slice(start, conf.indexOf('\n    }', start));
  };

  it('listens on loopback for both vhosts and talks FastCGI over the unix socket', () => {
    expect(conf.match(/listen 127\.0\.0\.1:4000;/g)).toHaveLength(2);
    expect(conf).toContain(`server unix:${DIR}/llng.sock;`);
    expect(conf).not.toMatch(/include /);
  });

  it.each(['/', ECHO_PREFIX])('runs auth_request to the handler before proxying %s, and passes its user on', (prefix) => {
    const block = location(prefix);
    expect(block).toContain('auth_request /lmauth;');
    expect(block).toContain('error_page 401 $lmlocation;');
    expect(block).toContain('proxy_set_header Auth-User   $llng_user;');
    expect(block.indexOf('auth_request /lmauth;')).toBeLessThan(block.indexOf('proxy_pass'));
  });

  it('keeps the handler location internal, without the request body, with the original URI', () => {
    const block = location('= /lmauth');
    expect(block).toContain('internal;');
    expect(block).toContain('fastcgi_pass_request_body off;');
    expect(block).toContain('fastcgi_param X_ORIGINAL_URI $original_uri;');
    expect(block).not.toContain('LLTYPE');
  });

  it('serves the portal as the PSGI app', () => expect(conf).toContain('fastcgi_param LLTYPE psgi;'));
});

describe('loginTokenOf', () => {
  const form = (inputs: string) => `<html><form id="lform" action="#" method="post" class="login">${inputs}</form></html>`;

  it.each([
    [form('<input type="hidden" name="url" value="" /><input id="token" type="hidden" name="token" value="1796402996_55947" />'), '1796402996_55947'],
    [form('<input value="17_9" name="token" type="hidden">'), '17_9'],
  ])('finds the token in %#', (html, token) => expect(loginTokenOf(html)).toBe(token));

  it.each([
    ['no form', '<input name="token" value="1_2" />'],
    ['another form', '<form id="other"><input name="token" value="1_2" /></form>'],
    ['an empty token', form('<input name="token" value="" />')],
    ['no token field', form('<input name="tokens" value="1_2" /><input name="user" />')],
    ['an error page', '<h1>Server error</h1>'],
  ])('finds none with %s', (_, html) => expect(loginTokenOf(html)).toBeUndefined());
});

describe('ssoSessionOf', () => {
  const id = 'fb8bc2ac69a8eca446f2877f0e2525261a07419d396f4f04114de40a679f8939';

  it('reads the session id of the SSO cookie', () => {
    expect(ssoSessionOf([`llnglanguage=en; path=/`, `lemonldap=${id}; domain=.localhost; path=/; HttpOnly=1; SameSite=Lax`])).toBe(id);
  });

  it.each([
    ['no header', undefined],
    ['a logout (empty value)', ['lemonldap=0; domain=.localhost; path=/; expires=Wed, 21 Oct 2015 00:00:00 GMT']],
    ['another cookie name', [`lemonldaphttp=${id}; path=/`]],
    ['a value too short', [`lemonldap=${id.slice(1)}`]],
    ['a value not hex', [`lemonldap=${id.slice(1)}z`]],
    ['a value with a suffix', [`lemonldap=${id}x`]],
  ])('gives nothing for %s', (_, lines) => expect(ssoSessionOf(lines)).toBeUndefined());
});

describe('fastcgiProcesses', () => {
  it('takes the manager and its own children only', () => {
    const table = [
      { pid: 10, ppid: 1 },
      { pid: 11, ppid: 10 },
      { pid: 12, ppid: 10 },
      { pid: 13, ppid: 11 },
      { pid: 20, ppid: 1 },
      { pid: 21, ppid: 20 },
    ];
    expect(fastcgiProcesses(10, table)).toEqual([10, 11, 12]);
    expect(fastcgiProcesses(99, table)).toEqual([99]);
  });
});
