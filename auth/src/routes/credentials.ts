import { requiredString as text } from '@ticketing/common/http';
import { z } from 'zod';

const email = text('Email').trim().toLowerCase().max(254, 'Email must be at most 254 characters').pipe(z.email('Email must be valid'));

/** Signup sets the password rules; signin only needs two strings (so it reveals nothing about them). */
export const signupSchema = z.object({
  email,
  password: text('Password').min(8, 'Password must be at least 8 characters').max(128, 'Password must be at most 128 characters'),
});

export const signinSchema = z.object({
  email,
  password: text('Password').min(1, 'You must supply a password').max(128, 'Password must be at most 128 characters'),
});
