import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

/** Writes PSKC files for tests: any number of key packages, plain or encrypted like RFC 6030 §6. */
export interface TestKeyPackage {
  serial?: string;
  manufacturer?: string;
  algorithm?: string;
  secret?: Buffer;
  digits?: string;
  encoding?: string;
  counter?: string;
  time?: string;
  timeInterval?: string;
  timeDrift?: string;
  suite?: string;
  pinMode?: string;
  /** Plaintexts of <Counter>, <Time>, <TimeInterval>, <TimeDrift> to encrypt like the secret (needs a protection). */
  sealed?: { Counter?: Buffer; Time?: Buffer; TimeInterval?: Buffer; TimeDrift?: Buffer };
  /** Replaces the generated <Data> contents. */
  rawData?: string;
  /** Replaces the whole <Key> element. */
  rawKey?: string;
}

export type TestProtection =
  | { kind: 'pre-shared-key'; key: Buffer; cipher?: 'aes128-cbc' | 'aes256-cbc'; macKey?: Buffer | 'omit'; macAlgorithm?: string }
  | { kind: 'password'; password: string; salt?: Buffer; iterations?: number; keyLength?: number };

export function testSecret(seed: number, bytes = 20): Buffer {
  return Buffer.from(Array.from({ length: bytes }, (_, i) => (seed * 31 + i * 7) & 0xff));
}

function encrypt(cipher: string, key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(16);
  const c = createCipheriv(cipher, key, iv);
  return Buffer.concat([iv, c.update(plain), c.final()]);
}

export function buildPskc(packages: TestKeyPackage[], protection?: TestProtection): string {
  let header = '';
  let seal: ((secret: Buffer) => string) | undefined;
  if (protection) {
    const cipherUri = protection.kind === 'pre-shared-key' && protection.cipher === 'aes256-cbc' ? 'aes256-cbc' : 'aes128-cbc';
    const cipherName = cipherUri === 'aes256-cbc' ? 'aes-256-cbc' : 'aes-128-cbc';
    let key: Buffer;
    if (protection.kind === 'password') {
      const salt = protection.salt ?? Buffer.from('salt-salt');
      const iterations = protection.iterations ?? 1000;
      const keyLength = protection.keyLength ?? 16;
      key = pbkdf2Sync(protection.password, salt, iterations, keyLength, 'sha1');
      header += `<EncryptionKey><xenc11:DerivedKey><xenc11:KeyDerivationMethod Algorithm="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"><pkcs5:PBKDF2-params><Salt><Specified>${salt.toString('base64')}</Specified></Salt><IterationCount>${iterations}</IterationCount><KeyLength>${keyLength}</KeyLength><PRF/></pkcs5:PBKDF2-params></xenc11:KeyDerivationMethod></xenc11:DerivedKey></EncryptionKey>`;
    } else {
      key = protection.key;
      header += '<EncryptionKey><ds:KeyName>Pre-shared-key</ds:KeyName></EncryptionKey>';
    }
    const omitMacKey = protection.kind === 'pre-shared-key' && protection.macKey === 'omit';
    const givenMacKey = protection.kind === 'pre-shared-key' && Buffer.isBuffer(protection.macKey) ? protection.macKey : undefined;
    // Without a MACKey element, older drafts MAC with the encryption key itself.
    const macKey = omitMacKey ? key : (givenMacKey ?? randomBytes(20));
    const macAlgorithm = (protection.kind === 'pre-shared-key' && protection.macAlgorithm) || 'http://www.w3.org/2000/09/xmldsig#hmac-sha1';
    const macKeyXml = omitMacKey
      ? ''
      : `<MACKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#${cipherUri}"/><xenc:CipherData><xenc:CipherValue>${encrypt(cipherName, key, macKey).toString('base64')}</xenc:CipherValue></xenc:CipherData></MACKey>`;
    header += `<MACMethod Algorithm="${macAlgorithm}">${macKeyXml}</MACMethod>`;
    seal = (secret) => {
      const data = encrypt(cipherName, key, secret);
      const mac = createHmac('sha1', macKey).update(data).digest('base64');
      return `<EncryptedValue><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#${cipherUri}"/><xenc:CipherData><xenc:CipherValue>${data.toString('base64')}</xenc:CipherValue></xenc:CipherData></EncryptedValue><ValueMAC>${mac}</ValueMAC>`;
    };
  }
  const deviceInfo = (p: TestKeyPackage) =>
    p.serial === undefined && p.manufacturer === undefined
      ? ''
      : `<DeviceInfo>${p.manufacturer === undefined ? '' : `<Manufacturer>${p.manufacturer}</Manufacturer>`}${p.serial === undefined ? '' : `<SerialNo>${p.serial}</SerialNo>`}</DeviceInfo>`;
  const body = packages.map((p) => `<KeyPackage>${deviceInfo(p)}${p.rawKey ?? keyXml(p, seal)}</KeyPackage>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" xmlns:pkcs5="http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#">
${header}
${body}
</KeyContainer>
`;
}

function keyXml(p: TestKeyPackage, seal: ((secret: Buffer) => string) | undefined): string {
  const secret = p.secret ?? testSecret(1);
  const plainOrSealed = seal ? seal(secret) : `<PlainValue>${secret.toString('base64')}</PlainValue>`;
  const value = (name: 'Counter' | 'Time' | 'TimeInterval' | 'TimeDrift', v: string | undefined) => {
    const plain = p.sealed?.[name];
    if (plain !== undefined) {
      if (!seal) throw new Error('sealed values need a protection');
      return `<${name}>${seal(plain)}</${name}>`;
    }
    return v === undefined ? '' : `<${name}><PlainValue>${v}</PlainValue></${name}>`;
  };
  const data =
    p.rawData ??
    `<Secret>${plainOrSealed}</Secret>${value('Counter', p.counter)}${value('Time', p.time)}${value('TimeInterval', p.timeInterval)}${value('TimeDrift', p.timeDrift)}`;
  const format = `<ResponseFormat Length="${p.digits ?? '6'}" Encoding="${p.encoding ?? 'DECIMAL'}"/>`;
  const suite = p.suite === undefined ? '' : `<Suite>${p.suite}</Suite>`;
  const policy = p.pinMode === undefined ? '' : `<Policy><PINPolicy MinLength="4" MaxLength="4" PINUsageMode="${p.pinMode}"/></Policy>`;
  return `<Key Id="k" Algorithm="${p.algorithm ?? 'urn:ietf:params:xml:ns:keyprov:pskc:hotp'}"><AlgorithmParameters>${suite}${format}</AlgorithmParameters><Data>${data}</Data>${policy}</Key>`;
}
