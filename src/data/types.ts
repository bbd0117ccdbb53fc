/** An image classification dataset held in memory. */
export interface Dataset {
  /** Where it came from, for messages ('mnist/test', a file path...). */
  name: string;
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  channels: number;
  classes: number;
  /** n * height * width * channels bytes; each image HWC (channel innermost). */
  images: Uint8Array;
  /** n labels, each < classes. */
  labels: Uint8Array;
}

export type Split = 'train' | 'test';
