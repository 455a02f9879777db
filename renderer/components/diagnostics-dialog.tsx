import { useRef, useState, type FormEvent } from 'react';
import type { DiagnosticsExport, DiagnosticsPreview } from '../../common/api';
import { commandProblem } from '../hooks/use-command';
import { useLifelineApi } from '../store/use-lifeline';
import { ChoosePathButton } from './choose-path-button';

type Step =
  { kind: 'closed' } | { kind: 'loading' } | { kind: 'review'; preview: DiagnosticsPreview } | { kind: 'saved'; saved: DiagnosticsExport };

/**
 * "Export diagnostics": the person sees every file the zip will hold, with a redacted preview of each and what is
 * never included, and only then saves it — through the native save dialog in the desktop app, a typed full path in
 * the browser build.
 */
export function DiagnosticsDialog() {
  const api = useLifelineApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const [step, setStep] = useState<Step>({ kind: 'closed' });
  const [path, setPath] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const open = () => {
    setProblem(null);
    setStep({ kind: 'loading' });
    dialog.current?.showModal?.();
    api.invoke('diagnostics.preview', {}).then(
      (preview) => setStep({ kind: 'review', preview }),
      (error: unknown) => setProblem(commandProblem(error, 'The diagnostics could not be gathered').title),
    );
  };
  const close = () => {
    dialog.current?.close?.();
    setStep({ kind: 'closed' });
  };
  const save = (target: string) => {
    setProblem(null);
    api.invoke('diagnostics.export', { path: target }).then(
      (saved) => setStep({ kind: 'saved', saved }),
      (error: unknown) => {
        const found = commandProblem(error, 'The diagnostics file could not be saved');
        setProblem(`${found.title}. ${found.detail}`);
      },
    );
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim() !== '') save(path.trim());
  };

  return (
    <>
      <button type="button" className="quiet" onClick={open}>
        Export diagnostics
      </button>
      <dialog ref={dialog} aria-labelledby="diagnostics-title" className="diagnostics-dialog" onClose={() => setStep({ kind: 'closed' })}>
        <h2 id="diagnostics-title">Export diagnostics</h2>
        {step.kind === 'loading' && !problem && <p>Gathering…</p>}
        {step.kind === 'review' && (
          <>
            <p>This file helps support see what happened. Look through it before you save it.</p>
            <ul aria-label="Files in the diagnostics file">
              {step.preview.files.map((file) => (
                <li key={file.name}>
                  <details>
                    <summary>
                      {file.name} ({Math.max(1, Math.round(file.bytes / 1024))} KB{file.shortened ? ', newest part only' : ''})
                    </summary>
                    <pre>{file.preview}</pre>
                  </details>
                </li>
              ))}
            </ul>
            <p>Never included:</p>
            <ul aria-label="Never included">
              {step.preview.leftOut.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
            <form onSubmit={submit}>
              <ChoosePathButton purpose="diagnostics-zip" label="Save…" onChosen={save} />
              <label htmlFor="diagnostics-path">Or type the full path to save it as</label>
              <input
                id="diagnostics-path"
                type="text"
                value={path}
                placeholder={`/Users/you/Desktop/${step.preview.suggestedName}`}
                onChange={(event) => setPath(event.target.value)}
                spellCheck={false}
                autoComplete="off"
              />
              <button type="submit" disabled={path.trim() === ''}>
                Save
              </button>
            </form>
          </>
        )}
        {step.kind === 'saved' && (
          <p role="status">
            Saved {step.saved.files} files to {step.saved.path}
          </p>
        )}
        {problem && <p role="alert">{problem}</p>}
        <button type="button" onClick={close}>
          Close
        </button>
      </dialog>
    </>
  );
}
