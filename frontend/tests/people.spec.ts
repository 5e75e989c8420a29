import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { cnicDigits, debouncer, queryKey, suggestQuery } from '../src/cases/people'

describe('suggestion trigger', () => {
  it('asks by CNIC once 13 digits are typed, dashes or not', () => {
    expect(cnicDigits('42101-1234567-1')).toBe('4210112345671')
    expect(cnicDigits('4210112345671')).toBe('4210112345671')
    expect(cnicDigits('42101-123456')).toBeNull()
    expect(cnicDigits('42101a1234567-1')).toBeNull()
    expect(suggestQuery('42101-1234567-1', 'Ka')).toEqual({ cnic: '4210112345671' })
  })
  it('asks by name from 3 letters, in any script', () => {
    expect(suggestQuery('', 'Ka')).toBeNull()
    expect(suggestQuery('', ' K a ')).toBeNull()
    expect(suggestQuery('4210', 'Kas')).toEqual({ name: 'Kas' })
    expect(suggestQuery('', 'کاشف')).toEqual({ name: 'کاشف' })
    expect(suggestQuery('', '  Ali   Khan ')).toEqual({ name: 'Ali Khan' })
    expect(suggestQuery('', '123')).toBeNull()
  })
  it('keys queries', () => {
    expect(queryKey(null)).toBe('')
    expect(queryKey({ name: 'abc' })).not.toBe(queryKey({ cnic: 'abc' }))
  })
})

describe('debouncer', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())
  it('runs once with the last value after the quiet time', () => {
    const run = vi.fn()
    const d = debouncer<string>(run, 300)
    d.push('a')
    vi.advanceTimersByTime(200)
    d.push('ab')
    vi.advanceTimersByTime(299)
    expect(run).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(run).toHaveBeenCalledTimes(1)
    expect(run.mock.calls[0]?.[0]).toBe('ab')
    const seq = run.mock.calls[0]?.[1] as number
    expect(d.isCurrent(seq)).toBe(true)
    d.push('abc')
    expect(d.isCurrent(seq)).toBe(false)
  })
  it('cancel drops the pending call and makes answers stale', () => {
    const run = vi.fn()
    const d = debouncer<string>(run, 300)
    d.push('a')
    d.cancel()
    vi.advanceTimersByTime(1000)
    expect(run).not.toHaveBeenCalled()
  })
})
