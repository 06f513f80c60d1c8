import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  /** The CA that signed the server certificate (PEM file). */
  caFile: string;
  /** A CA that signed nothing here: a client trusting only it must refuse the server. */
  otherCaFile: string;
  certFile: string;
  keyFile: string;
  /** A client certificate (extendedKeyUsage clientAuth) the same CA signed, for servers that ask for one. */
  clientCertFile: string;
  clientKeyFile: string;
  /** The only name in the server certificate. */
  serverName: string;
}

/**
 * A throwaway CA and a server certificate it signed, made with the openssl command in `dir`.
 * EC P-256 keys, valid one day; the certificate names `serverName` only (no IP address), so a
 * client that checks the name against 127.0.0.1 fails as it would against the wrong host.
 */
export function makeTestCertificates(dir: string, serverName = 'ldap.test'): TestCertificates {
  const path = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const newCa = (name: string, subject: string) =>
    run([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      subject,
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.pem`),
    ]);
  newCa('ca', '/CN=Gatehouse test CA');
  newCa('other-ca', '/CN=Some other CA');
  const signed = (name: string, subject: string, extensions: string) => {
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', subject, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`)]);
    writeFileSync(path(`${name}.ext`), extensions);
    run([
      'x509',
      '-req',
      '-in',
      path(`${name}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      path(`${name}.ext`),
      '-out',
      path(`${name}.pem`),
    ]);
  };
  signed('server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  signed('client', '/CN=gatehouse-test-client', 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  return {
    caFile: path('ca.pem'),
    otherCaFile: path('other-ca.pem'),
    certFile: path('server.pem'),
    keyFile: path('server.key'),
    clientCertFile: path('client.pem'),
    clientKeyFile: path('client.key'),
    serverName,
  };
}
