import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderProblem } from '../../common/problems/catalog';
import { ProblemHelpLink } from '../../renderer/components/problem-help-link';

describe('a Problem’s help link', () => {
  it('links the catalog’s help page, opened outside the app', () => {
    const { helpUrl } = renderProblem('restore-error-4013');
    render(<ProblemHelpLink url={helpUrl} />);
    const link = screen.getByRole('link', { name: 'More help on Apple’s support site' });
    expect(link).toHaveAttribute('href', helpUrl);
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noreferrer');
  });

  it('shows nothing for a Problem without a page, or a page that is not https', () => {
    const { container } = render(
      <>
        <ProblemHelpLink url={renderProblem('backup-locked').helpUrl} />
        <ProblemHelpLink url="javascript:alert(1)" />
      </>,
    );
    expect(container).toBeEmptyDOMElement();
  });
});
