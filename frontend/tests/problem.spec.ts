import { describe, expect, it } from 'vitest'
import { fieldErrors, fieldPath, problemMessage } from '../src/api/problem'

describe('problem+json errors → field messages', () => {
  it('maps each error to its field, dropping the request part of loc', () => {
    const problem = {
      type: 'https://cmms.example/problems/validation-failed',
      title: 'Invalid input',
      status: 422,
      detail: 'Invalid input',
      errors: [
        { loc: ['body', 'password'], msg: 'Password must be at least 12 characters.' },
        { loc: ['body', 'username'], msg: 'Username already taken.' },
        { loc: ['query', 'limit'], msg: 'Must be at most 200.' },
      ],
    }
    expect(fieldErrors(problem)).toEqual({
      password: 'Password must be at least 12 characters.',
      username: 'Username already taken.',
      limit: 'Must be at most 200.',
    })
  })

  it('joins several messages for one field', () => {
    const errs = fieldErrors({
      status: 422,
      errors: [
        { loc: ['body', 'password'], msg: 'Too short.' },
        { loc: ['body', 'password'], msg: 'Too common.' },
      ],
    })
    expect(errs.password).toBe('Too short. Too common.')
  })

  it('files nested locations under the full path and under the top-level field', () => {
    const errs = fieldErrors({ status: 422, errors: [{ loc: ['body', 'roles', 1], msg: 'Unknown role.' }] })
    expect(errs['roles.1']).toBe('Unknown role.')
    expect(errs.roles).toBe('Unknown role.')
  })

  it('puts errors about the whole body under "_"', () => {
    const errs = fieldErrors({ status: 422, errors: [{ loc: ['body'], msg: 'Unknown field: id' }] })
    expect(errs).toEqual({ _: 'Unknown field: id' })
  })

  it('keeps a loc that has no request part', () => {
    expect(fieldPath(['full_name'])).toBe('full_name')
    expect(fieldErrors({ status: 422, errors: [{ loc: ['full_name'], msg: 'Required.' }] })).toEqual({
      full_name: 'Required.',
    })
  })

  it('returns nothing for non-problems and problems without errors', () => {
    expect(fieldErrors(undefined)).toEqual({})
    expect(fieldErrors('oops')).toEqual({})
    expect(fieldErrors({ status: 409, title: 'Conflict' })).toEqual({})
  })

  it('prefers detail, then title, then the fallback', () => {
    expect(problemMessage({ title: 'T', detail: 'D' }, 'F')).toBe('D')
    expect(problemMessage({ title: 'T', detail: null }, 'F')).toBe('T')
    expect(problemMessage(null, 'F')).toBe('F')
  })
})
