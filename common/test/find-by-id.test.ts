import { findById } from '@ticketing/common/mongo';
import { useTestDatabase } from '@ticketing/testkit/mongo';
import mongoose, { model, Schema, Types } from 'mongoose';

interface Item {
  title: string;
  price: number;
  secret: string;
}
const ItemModel = model<Item>('FindByIdItem', new Schema<Item>({ title: String, price: Number, secret: String }));

useTestDatabase();

describe('findById on the real server', () => {
  it('When the document exists, then it comes back as stored, with only the projected fields and its _id', async () => {
    const { _id } = await ItemModel.create({ title: 'Concert', price: 20.5, secret: 'not shown' });
    await ItemModel.create({ title: 'Other', price: 1, secret: 'x' });

    const found = await findById<Item & { _id: Types.ObjectId }>(ItemModel, _id, { title: 1, price: 1 });

    expect(found).toEqual({ _id, title: 'Concert', price: 20.5 });
    expect(found?._id).toBeInstanceOf(Types.ObjectId);
    // The same as the driver's findOne gives.
    expect(found).toEqual(await ItemModel.collection.findOne({ _id }, { projection: { title: 1, price: 1 } }));
  });

  it('When no document has the id, then it answers null', async () => {
    await ItemModel.create({ title: 'Concert', price: 20, secret: 's' });
    expect(await findById(ItemModel, new Types.ObjectId(), { title: 1 })).toBeNull();
  });

  it('When asked before its connection is open, then it waits for the connection like a mongoose query', async () => {
    const { _id } = await ItemModel.create({ title: 'Early', price: 1, secret: 's' });
    // A second connection to the same database, not open yet when the read is asked for.
    const url = new URL(process.env.MONGO_URL ?? '');
    url.pathname = `/${mongoose.connection.name}`;
    const connection = mongoose.createConnection();
    try {
      const Early = connection.model<Item>('FindByIdEarly', ItemModel.schema, ItemModel.collection.collectionName);
      const found = findById(Early, _id, { title: 1 });

      await connection.openUri(url.toString());

      expect(await found).toEqual({ _id, title: 'Early' });
    } finally {
      await connection.close();
    }
  });
});
