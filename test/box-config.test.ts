import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, defaultConfig, loadConfig, validateConfig } from '../firmware-ts/box/config.js';
import { jsonErrorText } from '../firmware-ts/storage/json-error.js';
import { tempDir } from './helpers/box-fixtures.js';
import { refusalOf } from './helpers/refusal.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');

function errorOf(raw: unknown): string {
  return refusalOf(() => validateConfig(raw, '/etc/groovebox/config.json'), raw, ConfigError);
}

describe('box: config', () => {
  it('an empty file means every default', () => {
    const { noteMapResolved, ...config } = validateConfig({}, 'x');
    expect(config).to.deep.equal(defaultConfig());
    expect(noteMapResolved.kick).to.deep.equal({ channel: 10, note: 36 });
  });

  it('midi.input: notes as gestures, with drums bound by name', () => {
    const config = validateConfig(
      {
        midi: {
          follow: 'MPC',
          input: {
            port: 'MPC',
            channel: 10,
            accent: 'note',
            accentNote: 24,
            drums: { ride: { note: 53 }, snare: { note: 40, channel: 10 } },
          },
        },
      },
      'x',
    );
    expect(config.midi.input).to.deep.include({ port: 'MPC', channel: 10, accent: 'note', accentNote: 24 });
    // DRUMS order, whatever the file's order
    const ride = { note: 53, channel: null };
    const snare = { note: 40, channel: 10 };
    expect(config.midi.input.drums).to.deep.equal([null, snare, null, null, null, null, null, null, ride]);
  });

  it('the committed default config (systemd/config.json) is valid and keeps state in /var/lib/groovebox', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'systemd', 'config.json'), 'utf8'));
    const config = validateConfig(raw, 'systemd/config.json');
    expect(config.stateDir).to.equal('/var/lib/groovebox');
    expect(config.panel.host).to.equal('127.0.0.1');
  });

  it('names the file, the key, the value and what was expected, in one line', () => {
    const cases: [unknown, string][] = [
      [{ bpm: 500 }, '/etc/groovebox/config.json: bpm = 500: expected a number in 40..240'],
      [{ bpm: '120' }, 'bpm = "120": expected a number in 40..240'],
      [{ model: 'gpt' }, 'model = "gpt": expected one of ag11s, ag11, ag2, baseline'],
      [{ tempo: 120 }, 'tempo = 120: expected no such key (known: model, modelsDir'],
      [{ midi: { port: 5 } }, 'midi.port = 5: expected a MIDI output name'],
      [
        { midi: { follow: '' } },
        'midi.follow = "": expected a MIDI input name (or part of it) to take the clock from, or null',
      ],
      [{ midi: { follow: true } }, 'midi.follow = true: expected a MIDI input name'],
      [{ midi: { chanel: 10 } }, 'midi.chanel = 10: expected no such key'],
      [
        { midi: { noteMap: { preset: 'tr909' } } },
        'midi.noteMap.preset: expected one of gm, tr-8s, digitakt, volca-beats, got "tr909"',
      ],
      [
        { midi: { noteMap: { drums: { ride: { note: 300 } } } } },
        'midi.noteMap.ride.note: expected an integer 0..127, got 300',
      ],
      [
        { midi: { input: { port: 3 } } },
        'midi.input.port = 3: expected a MIDI input name (or part of it) to take notes from',
      ],
      [{ midi: { input: { channel: 0 } } }, 'midi.input.channel = 0: expected an integer in 1..16'],
      [{ midi: { input: { accent: 'loud' } } }, 'midi.input.accent = "loud": expected one of velocity, note, keep'],
      [
        { midi: { input: { accent: 'note' } } },
        'midi.input.accentNote = null: expected a note 0..127 when midi.input.accent is "note"',
      ],
      [
        { midi: { input: { drums: { cowbell: { note: 56 } } } } },
        'midi.input.drums.cowbell = {"note":56}: expected a drum name (one of kick, snare',
      ],
      [
        { midi: { input: { drums: { ride: { note: 128 } } } } },
        'midi.input.drums.ride.note = 128: expected an integer in 0..127',
      ],
      [
        { midi: { input: { drums: { ride: { note: 51, chan: 10 } } } } },
        'midi.input.drums.ride.chan = 10: expected no such key (known: note, channel)',
      ],
      [{ midi: { input: { drums: [] } } }, 'midi.input.drums = []: expected an object keyed by drum name'],
      [{ midi: { input: { drums: { ride: null } } } }, 'midi.input.drums.ride = null: expected { note, channel? }'],
      [
        { midi: { input: { drums: { ride: { channel: 10 } } } } },
        'midi.input.drums.ride.note = (missing): expected an integer in 0..127',
      ],
      [
        { midi: { input: { drums: { ride: { note: 51, channel: 17 } } } } },
        'midi.input.drums.ride.channel = 17: expected an integer in 1..16, or null for any channel',
      ],
      [{ midi: { input: { velocity: 1 } } }, 'midi.input.velocity = 1: expected no such key (known: port, channel'],
      [{ audio: { gain: 2 } }, 'audio.gain = 2: expected a number in 0..1'],
      [{ panel: { port: 80.5 } }, 'panel.port = 80.5: expected an integer in 0..65535'],
      [{ panel: { host: '0.0.0.0' } }, 'panel.host = "0.0.0.0": expected 127.0.0.1 or ::1, unless panel.token'],
      [
        { panel: { host: '0.0.0.0', token: 'short' } },
        'panel.token = "(5 characters)": expected a string of at least 16 characters',
      ],
      [{ stateDir: 'relative/dir' }, 'stateDir = "relative/dir": expected an absolute folder path'],
      [[1, 2], '(top level) = [1,2]: expected a JSON object'],
    ];
    for (const [raw, message] of cases) {
      const got = errorOf(raw);
      expect(got, JSON.stringify(raw)).to.include(message);
      expect(got).to.not.include('\n');
    }
  });

  it('refuses keys that only Object.prototype has, "__proto__" included, as unknown keys in one line', () => {
    const cases: [unknown, string][] = [
      [{ constructor: 1 }, 'constructor = 1: expected no such key (known: model, modelsDir'],
      [{ valueOf: 1 }, 'valueOf = 1: expected no such key'],
      [{ panel: { toString: 'x' } }, 'panel.toString = "x": expected no such key (known: enabled, host, port, token)'],
      // JSON.parse makes "__proto__" an own key (an object literal would set the prototype instead)
      [JSON.parse('{"__proto__": {}}'), '__proto__ = {}: expected no such key'],
      [
        JSON.parse('{"midi": {"__proto__": {"clock": false}}}'),
        'midi.__proto__ = {"clock":false}: expected no such key',
      ],
      [
        JSON.parse('{"midi": {"input": {"drums": {"__proto__": {"note": 40}}}}}'),
        'midi.input.drums.__proto__ = {"note":40}: expected a drum name (one of kick, snare',
      ],
      [
        { midi: { input: { drums: { toString: { note: 40 } } } } },
        'midi.input.drums.toString = {"note":40}: expected a drum name',
      ],
    ];
    for (const [raw, message] of cases) {
      const got = errorOf(raw);
      expect(got, message).to.include(message);
      expect(got).to.not.include('\n');
    }
    const file = path.join(tempDir('groovebox-config-'), 'config.json');
    fs.writeFileSync(file, '{"__proto__": {"bpm": 100}}');
    expect(() => loadConfig(file, {}, () => {})).to.throw(
      ConfigError,
      `${file}: __proto__ = {"bpm":100}: expected no such key`,
    );
  });

  it('refuses a panel token the panel would refuse (not printable ASCII, or with spaces) without showing it', () => {
    const cases: [string, string][] = [
      [
        'correct horse battery staple',
        'panel.token = "(28 characters; character 8 is a space)": expected printable ASCII without spaces',
      ],
      ['0123456789abcdef\t', 'panel.token = "(17 characters; character 17 is a tab)"'],
      ['mot-de-passe-très-long', 'panel.token = "(22 characters; character 16 is U+00E8)"'],
      ['0123456789abcdef\n', 'panel.token = "(17 characters; character 17 is U+000A)"'],
    ];
    for (const [token, message] of cases) {
      const got = errorOf({ panel: { token } });
      expect(got, JSON.stringify(token)).to.include(`/etc/groovebox/config.json: ${message}`);
      expect(got).to.not.include(token.trim()).and.not.include('\n').and.not.include('--token');
    }
    expect(validateConfig({ panel: { host: '0.0.0.0', token: '!~0123456789abcdef"' } }, 'x').panel.token).to.equal(
      '!~0123456789abcdef"',
    );
  });

  it('parse errors are written on one line: control characters, DEL, NEL and the Unicode line separators as escapes', () => {
    expect(jsonErrorText(new SyntaxError('a\nb\r\tc\u007fd\u0085e\u2028f\u2029g'))).to.equal(
      'a\\nb\\r\\tc\\u007fd\\u0085e\\u2028f\\u2029g',
    );
  });

  it('a file that is not JSON is one line naming it, even when the fault is next to a newline (V8 quotes the text around it)', () => {
    const file = path.join(tempDir('groovebox-config-'), 'config.json');
    fs.writeFileSync(file, '{"midi": {"enabled": tru\n, "port": null}}');
    const err = (() => {
      try {
        loadConfig(file, {}, () => {});
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(err).to.be.instanceOf(ConfigError);
    expect(err!.message).to.match(new RegExp(`^${file}: not valid JSON \\(`));
    expect(err!.message).to.not.match(/[\n\r]/);
  });

  it('a missing file gives the defaults with one log line; flags override the file and are checked the same way', () => {
    const dir = tempDir('groovebox-config-');
    const lines: string[] = [];
    const missing = loadConfig(path.join(dir, 'none.json'), {}, (m) => lines.push(m));
    expect(lines).to.deep.equal([`no config file at ${path.join(dir, 'none.json')}; using the defaults`]);
    expect(missing.source).to.equal('defaults');
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ panel: { port: 9000 }, bpm: 100 }));
    const config = loadConfig(file, { port: 9100, simulate: true, stateDir: 'rel' }, () => {});
    expect([config.panel.port, config.devices, config.bpm, config.stateDir]).to.deep.equal([
      9100,
      'simulate',
      100,
      path.resolve('rel'),
    ]);
    expect(() => loadConfig(file, { host: '192.168.1.20' }, () => {})).to.throw(
      ConfigError,
      /panel\.host = "192\.168\.1\.20"/,
    );
    expect(loadConfig(file, { host: '192.168.1.20', token: 'a-long-enough-token' }, () => {}).panel.host).to.equal(
      '192.168.1.20',
    );
    fs.writeFileSync(file, '{"bpm": 120,');
    expect(() => loadConfig(file, {}, () => {})).to.throw(ConfigError, new RegExp(`^${file}: not valid JSON`));
  });
});
