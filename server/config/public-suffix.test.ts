import { describe, expect, it } from 'vitest';
import { isPublicSuffix } from './public-suffix.js';

describe('isPublicSuffix', () => {
  it.each([
    'com',
    'org',
    'io',
    'uk',
    'dev',
    'app',
    // ICANN second-level suffixes
    'co.uk',
    'ac.uk',
    'gov.uk',
    'com.au',
    'co.jp',
    'k12.ca.us',
    // wildcard rules (*.ck, *.kawasaki.jp)
    'anything.ck',
    'foo.kawasaki.jp',
    // the private section: hosting services whose customers each get a name under them
    'github.io',
    'blogspot.com',
    'herokuapp.com',
    'appspot.com',
    's3.amazonaws.com',
    'pages.dev',
    'netlify.app',
    'vercel.app',
    // a single label the list does not know: its default rule makes it a suffix
    'lan',
    'internal',
    'example',
    'corp',
  ])('%s is one', (host) => expect(isPublicSuffix(host)).toBe(true));

  it.each([
    'corp.example',
    'auth.corp.example',
    'example.com',
    'corp.co.uk',
    'corp.github.io',
    'my-bucket.s3.amazonaws.com',
    // the exceptions to wildcard rules are registrable
    'www.ck',
    'city.kawasaki.jp',
    'home.lan',
    'localhost',
    'auth.localhost',
  ])('%s is not', (host) => expect(isPublicSuffix(host)).toBe(false));

  it.each(['127.0.0.1', '10.0.0.1', '::1'])('an address (%s) is not a suffix: the config check refuses it on its own', (host) => expect(isPublicSuffix(host)).toBe(false));
});
