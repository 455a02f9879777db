import { describe, expect, it } from 'vitest';
import {
  ENGINE_PORT_MAX_MESSAGE_CHARS,
  decodeAppToEngine,
  decodeEngineToApp,
  encodeEngineMessage,
  type AppToEngineMessage,
  type EngineToAppMessage,
} from '../../../main/transport/engine-port-protocol';

describe('engine port protocol', () => {
  it('round-trips every message kind both ways', () => {
    const toEngine: AppToEngineMessage[] = [
      { type: 'invoke', id: 1, command: 'app.info', request: {} },
      { type: 'subscribe', event: 'progress' },
      { type: 'unsubscribe', event: 'progress' },
      { type: 'shutdown' },
    ];
    for (const message of toEngine) expect(decodeAppToEngine(encodeEngineMessage(message))).toEqual({ ok: true, message });
    const toApp: EngineToAppMessage[] = [
      { type: 'ready' },
      { type: 'result', id: 1, envelope: { ok: true, value: [1, 2] } },
      { type: 'result', id: 2, envelope: { ok: false, problem: { code: 'x', title: 't', detail: 'd', nextSteps: ['s'] } } },
      { type: 'event', event: 'devices.changed', payload: [] },
      { type: 'fatal', problem: { code: 'x', title: 't', detail: 'd', nextSteps: [] } },
    ];
    for (const message of toApp) expect(decodeEngineToApp(encodeEngineMessage(message))).toEqual({ ok: true, message });
  });

  it.each([
    ['a value that is not a string', { type: 'shutdown' }],
    ['text that is not JSON', '{"type":'],
    ['an unknown type', '{"type":"eval","code":"1"}'],
    ['an extra field', '{"type":"shutdown","also":1}'],
    ['a negative call id', '{"type":"invoke","id":-1,"command":"app.info","request":{}}'],
    ['a fractional call id', '{"type":"invoke","id":1.5,"command":"app.info","request":{}}'],
    ['an over-long command name', JSON.stringify({ type: 'invoke', id: 1, command: 'x'.repeat(101), request: {} })],
    ['an empty event name', '{"type":"subscribe","event":""}'],
    ['an engine-side message', '{"type":"ready"}'],
    [
      'a message over the size bound',
      JSON.stringify({ type: 'invoke', id: 1, command: 'app.info', request: { pad: 'x'.repeat(ENGINE_PORT_MAX_MESSAGE_CHARS) } }),
    ],
  ])('the engine refuses %s', (_name, raw) => {
    expect(decodeAppToEngine(raw).ok).toBe(false);
  });

  it.each([
    ['a value that is not a string', { type: 'ready' }],
    ['text that is not JSON', 'ready'],
    ['a result without an envelope', '{"type":"result","id":1}'],
    ['an envelope that is neither ok nor a problem', '{"type":"result","id":1,"envelope":{"ok":false,"problem":"boom"}}'],
    ['an envelope with both a value and a problem', '{"type":"result","id":1,"envelope":{"ok":true,"value":1,"problem":{}}}'],
    ['a fatal without a problem', '{"type":"fatal"}'],
    ['an app-side message', '{"type":"shutdown"}'],
    [
      'a message over the size bound',
      JSON.stringify({ type: 'event', event: 'progress', payload: 'x'.repeat(ENGINE_PORT_MAX_MESSAGE_CHARS) }),
    ],
  ])('the app refuses %s', (_name, raw) => {
    expect(decodeEngineToApp(raw).ok).toBe(false);
  });

  it('will not encode what cannot cross: values JSON cannot hold, or over the size bound', () => {
    expect(encodeEngineMessage({ type: 'invoke', id: 1, command: 'app.info', request: { big: 1n } })).toBeNull();
    expect(encodeEngineMessage({ type: 'event', event: 'progress', payload: 'x'.repeat(ENGINE_PORT_MAX_MESSAGE_CHARS) })).toBeNull();
  });
});
