import { type HydratedDocument, model, Schema } from 'mongoose';

export interface UserAttrs {
  email: string;
  passwordHash: string;
}

const userSchema = new Schema<UserAttrs>(
  {
    // The unique index, not a read-before-write, is what makes concurrent signups with one email safe.
    email: { type: String, required: true, unique: true },
    passwordHash: { type: String, required: true },
  },
  {
    toJSON: {
      transform(_doc, ret: Record<string, unknown>) {
        const { _id, email } = ret;
        return { id: String(_id), email };
      },
    },
  },
);

export type UserDocument = HydratedDocument<UserAttrs>;
export const User = model<UserAttrs>('User', userSchema);
