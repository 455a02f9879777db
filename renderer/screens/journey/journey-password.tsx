import { useId, useState } from 'react';
import type { JourneyAction } from '../../../common/contract/journey';
import { PrimaryAction } from './journey-buttons';
import type { JourneyActing } from './use-journey';

/** The encrypted backup's password, checked before anything is erased. Sent once, never kept by the screen. */
export function JourneyPassword({ next, acting }: { next: JourneyAction; acting: JourneyActing }) {
  const [password, setPassword] = useState('');
  const inputId = useId();
  const submit = (): void => {
    if (password.length === 0) return;
    void acting.act(next, { password }).then((sent) => {
      if (sent) setPassword('');
    });
  };
  return (
    <form
      className="journey-form"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <label htmlFor={inputId}>Backup password</label>
      <input
        id={inputId}
        type="password"
        autoComplete="off"
        value={password}
        maxLength={4096}
        onChange={(event) => setPassword(event.target.value)}
      />
      <div className="journey-primary">
        <PrimaryAction action={next} disabled={acting.busy || password.length === 0} onPress={submit} />
      </div>
    </form>
  );
}
