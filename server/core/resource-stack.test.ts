import { describe, expect, it } from 'vitest';
import { createResourceStack } from './resource-stack.js';

describe('createResourceStack', () => {
  it('closes newest first, awaiting each, and a closer that throws does not stop the rest', async () => {
    const errors: unknown[] = [];
    const closed: string[] = [];
    const stack = createResourceStack({ onError: (error) => errors.push(error) });
    stack.add(() => closed.push('redis'));
    stack.add(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      closed.push('storage');
    });
    stack.add(() => {
      throw new Error('watcher broke');
    });
    stack.add(() => closed.push('audit'));
    await stack.closeAll();
    expect(closed).toEqual(['audit', 'storage', 'redis']);
    expect(errors).toEqual([new Error('watcher broke')]);
  });

  it('closes once however often it is asked, and refuses new resources afterwards', async () => {
    let count = 0;
    const stack = createResourceStack({ onError: () => {} });
    stack.add(() => count++);
    await Promise.all([stack.closeAll(), stack.closeAll()]);
    await stack.closeAll();
    expect(count).toBe(1);
    expect(() => stack.add(() => {})).toThrow(/already closed/);
  });
});
