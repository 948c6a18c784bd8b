// A level meter in dBFS, for the simulator's recorder and for anything that wants to say whether a
// microphone hears something. Full scale is 32768, so a full-scale square wave reads 0 dBFS RMS and a
// full-scale sine about -3 dBFS; digital silence reads -Infinity, which is what it is.

export interface Level {
  /** Root mean square, dBFS. */
  rmsDbfs: number;
  /** Largest absolute sample, dBFS. */
  peakDbfs: number;
}

const FULL_SCALE = 32768;

function dbfs(value: number): number {
  return 20 * Math.log10(value / FULL_SCALE);
}

/**
 * Accumulates samples. The sum of squares is a double: exact for the first minutes of full-scale
 * audio, then rounded at 1e-16 relative, far below what a meter shows.
 */
export class LevelMeter {
  private sumSquares = 0;
  private count = 0;
  private peak = 0;

  add(samples: Int16Array): void {
    for (const s of samples) {
      this.sumSquares += s * s;
      const a = Math.abs(s);
      if (a > this.peak) this.peak = a;
    }
    this.count += samples.length;
  }

  get level(): Level {
    return {
      rmsDbfs: this.count === 0 ? -Infinity : dbfs(Math.sqrt(this.sumSquares / this.count)),
      peakDbfs: dbfs(this.peak),
    };
  }
}

/** The level of one block of samples. */
export function levelOf(samples: Int16Array): Level {
  const meter = new LevelMeter();
  meter.add(samples);
  return meter.level;
}
