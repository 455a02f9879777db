/** A Problem's help page (common/problems), opened in the person's browser: the app only lets https pages on Apple's support sites out. */
export function ProblemHelpLink({ url }: { url: string | undefined }) {
  if (!url?.startsWith('https://')) return null;
  const onApple = new URL(url).hostname.endsWith('apple.com');
  return (
    <p className="problem-help">
      <a href={url} target="_blank" rel="noreferrer">
        {onApple ? 'More help on Apple’s support site' : 'More help'}
      </a>
    </p>
  );
}
