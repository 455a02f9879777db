import { act, renderHook } from '@testing-library/react';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ProblemError, type CommandResponse, type FirmwareStatus, type LifelineApi, type Problem } from '../../common/api';
import { useCommand, type RefreshKey } from '../../renderer/hooks/use-command';
import { LifelineApiContext } from '../../renderer/store/use-lifeline';

type Call = { command: string; request: unknown; resolve(value: unknown): void; reject(error: unknown): void };

/** An engine whose answers the test gives by hand, one call at a time. */
function handAnsweredApi() {
  const calls: Call[] = [];
  const api: LifelineApi = {
    invoke: ((command: string, request: unknown) =>
      new Promise((resolve, reject) => {
        calls.push({ command, request, resolve, reject });
      })) as LifelineApi['invoke'],
    on: (() => () => undefined) as LifelineApi['on'],
  };
  return { api, calls };
}

const status = (phoneId: string, state: 'not-ready' | 'preparing' = 'not-ready'): FirmwareStatus => ({
  phoneId,
  state,
  firmware: null,
  job: state === 'preparing' ? 'job-1' : null,
});
const noPhone: Problem = {
  code: 'phone.gone',
  title: 'That phone is not connected',
  detail: 'Plug it in again.',
  nextSteps: ['Check the cable'],
};

function renderCommand(api: LifelineApi, initial: { phoneId: string | null; refresh?: RefreshKey }) {
  return renderHook(
    ({ phoneId, refresh }: { phoneId: string | null; refresh?: RefreshKey }) =>
      useCommand('firmware.status', phoneId === null ? null : { phoneId }, { refreshOn: [refresh ?? null], fallbackTitle: 'No status' }),
    { initialProps: initial, wrapper: ({ children }) => <LifelineApiContext.Provider value={api}>{children}</LifelineApiContext.Provider> },
  );
}

describe('useCommand', () => {
  it('is typed by the contract: the request and the answer of the command it names', () => {
    const { api } = handAnsweredApi();
    const { result } = renderHook(() => useCommand('coach.plan', { phoneId: 'A', goal: 'recovery' }), {
      wrapper: ({ children }) => <LifelineApiContext.Provider value={api}>{children}</LifelineApiContext.Provider>,
    });
    expectTypeOf(result.current.data).toEqualTypeOf<CommandResponse<'coach.plan'> | null>();
    expectTypeOf(result.current.problem).toEqualTypeOf<Problem | null>();
    // @ts-expect-error — coach.plan needs a goal
    expectTypeOf(useCommand<'coach.plan'>).toBeCallableWith('coach.plan', { phoneId: 'A' });
  });

  it('asks once, is loading until the answer, then holds the answer', async () => {
    const { api, calls } = handAnsweredApi();
    const { result } = renderCommand(api, { phoneId: 'A' });
    expect(calls.map((c) => [c.command, c.request])).toEqual([['firmware.status', { phoneId: 'A' }]]);
    expect(result.current).toMatchObject({ data: null, problem: null, loading: true });
    await act(async () => calls[0]!.resolve(status('A')));
    expect(result.current).toMatchObject({ data: status('A'), problem: null, loading: false });
  });

  it('gives the engine’s Problem as sent, and a Problem with the fallback title for any other failure', async () => {
    const { api, calls } = handAnsweredApi();
    const { result } = renderCommand(api, { phoneId: 'A' });
    await act(async () => calls[0]!.reject(ProblemError.forward(noPhone)));
    expect(result.current).toMatchObject({ data: null, problem: noPhone, loading: false });

    act(() => result.current.refetch());
    expect(result.current.loading).toBe(true);
    await act(async () => calls[1]!.reject(new Error('Lost the connection to the Lifeline engine')));
    expect(result.current.problem).toEqual({
      code: 'renderer.unanswered',
      title: 'No status',
      detail: 'Lost the connection to the Lifeline engine',
      nextSteps: [],
    });
  });

  it('keeps the last good answer through a failed ask, and a success clears the problem', async () => {
    const { api, calls } = handAnsweredApi();
    const { result } = renderCommand(api, { phoneId: 'A' });
    await act(async () => calls[0]!.resolve(status('A')));
    act(() => result.current.refetch());
    await act(async () => calls[1]!.reject(ProblemError.forward(noPhone)));
    expect(result.current).toMatchObject({ data: status('A'), problem: noPhone });
    act(() => result.current.refetch());
    await act(async () => calls[2]!.resolve(status('A', 'preparing')));
    expect(result.current).toMatchObject({ data: status('A', 'preparing'), problem: null });
  });

  it('drops the answer to an earlier request when the argument changed meanwhile', async () => {
    const { api, calls } = handAnsweredApi();
    const { result, rerender } = renderCommand(api, { phoneId: 'A' });
    rerender({ phoneId: 'B' });
    expect(calls.map((c) => c.request)).toEqual([{ phoneId: 'A' }, { phoneId: 'B' }]);
    await act(async () => calls[1]!.resolve(status('B')));
    await act(async () => calls[0]!.resolve(status('A')));
    expect(result.current.data).toEqual(status('B'));
  });

  it('compares requests by value: a new object with the same fields does not ask again', () => {
    const { api, calls } = handAnsweredApi();
    const { rerender } = renderCommand(api, { phoneId: 'A' });
    rerender({ phoneId: 'A' });
    rerender({ phoneId: 'A' });
    expect(calls).toHaveLength(1);
  });

  it('drops an answer that arrives after asking was turned off, and keeps what it had', async () => {
    const { api, calls } = handAnsweredApi();
    const { result, rerender } = renderCommand(api, { phoneId: 'A' });
    await act(async () => calls[0]!.resolve(status('A')));
    act(() => result.current.refetch());
    rerender({ phoneId: null });
    expect(result.current.loading).toBe(false);
    await act(async () => calls[1]!.resolve(status('A', 'preparing')));
    expect(result.current.data).toEqual(status('A'));
  });

  it('asks again, loading, when asking is turned on again with the same request', async () => {
    const { api, calls } = handAnsweredApi();
    const { result, rerender } = renderCommand(api, { phoneId: 'A' });
    await act(async () => calls[0]!.resolve(status('A')));
    rerender({ phoneId: null });
    rerender({ phoneId: 'A' });
    expect(calls).toHaveLength(2);
    expect(result.current).toMatchObject({ data: status('A'), loading: true });
    await act(async () => calls[1]!.resolve(status('A', 'preparing')));
    expect(result.current).toMatchObject({ data: status('A', 'preparing'), loading: false });
  });

  it('asks again on refetch and when a refresh key changes', async () => {
    const { api, calls } = handAnsweredApi();
    const { result, rerender } = renderCommand(api, { phoneId: 'A', refresh: 'running' });
    await act(async () => calls[0]!.resolve(status('A', 'preparing')));
    rerender({ phoneId: 'A', refresh: 'succeeded' });
    expect(calls).toHaveLength(2);
    expect(result.current).toMatchObject({ data: status('A', 'preparing'), loading: true });
    await act(async () => calls[1]!.resolve(status('A')));
    act(() => result.current.refetch());
    expect(calls.map((c) => c.request)).toEqual([{ phoneId: 'A' }, { phoneId: 'A' }, { phoneId: 'A' }]);
  });

  it('replace shows a value pushed by an event at once, and counts as a new answer', async () => {
    const { api, calls } = handAnsweredApi();
    const { result } = renderCommand(api, { phoneId: 'A' });
    await act(async () => calls[0]!.resolve(status('A')));
    const before = result.current.revision;
    act(() => result.current.replace(status('A', 'preparing')));
    expect(result.current).toMatchObject({ data: status('A', 'preparing'), problem: null, loading: false });
    expect(result.current.revision).toBeGreaterThan(before);
  });

  it('asks nothing while the request is null', () => {
    const { api, calls } = handAnsweredApi();
    const { result } = renderCommand(api, { phoneId: null });
    expect(calls).toHaveLength(0);
    expect(result.current).toMatchObject({ data: null, problem: null, loading: false });
  });
});
