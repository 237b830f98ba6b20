// Sign in and sign up. Both keep the guest cart: the gateway merges it at sign-in.
import * as api from '../api.js';
import {h} from '../dom.js';
import {navigate} from '../router.js';
import {describeError, messageArea, notify, sentence, setMessage} from './common.js';

// Where to go after signing in: a path on this site only (never "//evil.example").
export function safeNext(query) {
  const next = query.get('next') ?? '';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function field(id, label, attrs, hint) {
  const hintId = hint ? `${id}-hint` : null;
  return h('div', {class: 'field'},
      h('label', {for: id}, label),
      h('input', {id, name: id, 'aria-describedby': hintId, ...attrs}),
      hint ? h('p', {class: 'hint', id: hintId}, hint) : null);
}

// A named control of a form (form.name would be the form's own name attribute).
export function input(form, name) {
  return form.elements.namedItem(name);
}

function busy(button, on, label) {
  button.disabled = on;
  button.setAttribute('aria-busy', on ? 'true' : 'false');
  if (label) button.textContent = label;
}

// Focuses the first invalid field and says what is wrong; false when the form is invalid.
function checkForm(form, error) {
  const invalid = [...form.elements].find((el) => el.willValidate && !el.checkValidity());
  if (!invalid) return true;
  const label = form.querySelector(`label[for="${invalid.id}"]`)?.textContent ?? 'A field';
  setMessage(error, 'error', `${label}: ${invalid.validationMessage}`);
  invalid.focus();
  return false;
}

export async function signInView(ctx) {
  const next = safeNext(ctx.query);
  if (api.signedIn()) {
    await navigate(next, {replace: true});
    return;
  }
  const error = messageArea('error');
  const submit = h('button', {type: 'submit', class: 'button primary'}, 'Sign in');
  const form = h('form', {class: 'panel narrow form', novalidate: true},
      h('h1', null, 'Sign in'),
      next === '/checkout' ? h('p', null, 'Sign in to check out. Your cart comes with you.') : null,
      field('email', 'Email', {type: 'email', autocomplete: 'email', required: true,
        maxlength: 254}),
      field('password', 'Password', {type: 'password', autocomplete: 'current-password',
        required: true}),
      error, submit,
      h('p', null, 'New to Mercato? ',
          h('a', {href: `/signup?next=${encodeURIComponent(next)}`}, 'Create an account')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled || !checkForm(form, error)) return;
    setMessage(error, 'error');
    busy(submit, true, 'Signing in…');
    try {
      const user = await api.signIn(input(form, 'email').value.trim(), input(form, 'password').value);
      notify(`Signed in as ${user?.name || user?.email}.`, 'success');
      await navigate(next, {replace: true});
    } catch (e) {
      setMessage(error, 'error', e.code === 'invalid_credentials' ?
        'That email and password don’t match an account.' : describeError(e));
      busy(submit, false, 'Sign in');
      input(form, 'password').focus();
    }
  });
  ctx.show('Sign in', form);
}

export async function signUpView(ctx) {
  const next = safeNext(ctx.query);
  if (api.signedIn()) {
    await navigate(next, {replace: true});
    return;
  }
  const error = messageArea('error');
  const submit = h('button', {type: 'submit', class: 'button primary'}, 'Create account');
  const form = h('form', {class: 'panel narrow form', novalidate: true},
      h('h1', null, 'Create an account'),
      h('p', null, 'Anything already in your cart stays there.'),
      field('name', 'Full name', {type: 'text', autocomplete: 'name', required: true,
        maxlength: 100}),
      field('email', 'Email', {type: 'email', autocomplete: 'email', required: true,
        maxlength: 254}),
      field('password', 'Password', {type: 'password', autocomplete: 'new-password',
        required: true, minlength: 10, maxlength: 128},
      'At least 10 characters; avoid common passwords.'),
      error, submit,
      h('p', null, 'Already have an account? ',
          h('a', {href: `/signin?next=${encodeURIComponent(next)}`}, 'Sign in')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled || !checkForm(form, error)) return;
    setMessage(error, 'error');
    busy(submit, true, 'Creating your account…');
    try {
      const user = await api.signUp(input(form, 'name').value.trim(), input(form, 'email').value.trim(),
          input(form, 'password').value);
      notify(`Welcome to Mercato, ${user?.name}! You are signed in.`, 'success');
      await navigate(next, {replace: true});
    } catch (e) {
      if (e.code === 'email_taken') {
        setMessage(error, 'error', 'An account with this email already exists. ',
            h('a', {href: `/signin?next=${encodeURIComponent(next)}`}, 'Sign in instead'));
      } else if (['weak_password', 'invalid_email', 'invalid_name'].includes(e.code)) {
        setMessage(error, 'error', sentence(e.message));
      } else {
        setMessage(error, 'error', describeError(e));
      }
      busy(submit, false, 'Create account');
    }
  });
  ctx.show('Create an account', form);
}

export async function signOut() {
  await api.signOut();
  notify('You are signed out.');
  await navigate('/');
}
