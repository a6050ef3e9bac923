// The strftime subset Circus users put in `time_format` and rotation suffixes, in local time or UTC.

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Format `epochMs` with %Y %y %m %d %e %H %I %M %S %f %p %z %Z %a %A %b %B %j %s %%; unknown codes stay as written. */
export function strftime(format: string, epochMs: number, utc = false): string {
  const d = new Date(epochMs);
  const year = utc ? d.getUTCFullYear() : d.getFullYear();
  const month = utc ? d.getUTCMonth() : d.getMonth();
  const day = utc ? d.getUTCDate() : d.getDate();
  const hour = utc ? d.getUTCHours() : d.getHours();
  const minute = utc ? d.getUTCMinutes() : d.getMinutes();
  const second = utc ? d.getUTCSeconds() : d.getSeconds();
  const weekday = utc ? d.getUTCDay() : d.getDay();
  const offsetMin = utc ? 0 : -d.getTimezoneOffset();
  return format.replace(/%([a-zA-Z%])/g, (whole, code: string) => {
    switch (code) {
      case "Y":
        return String(year);
      case "y":
        return pad(year % 100);
      case "m":
        return pad(month + 1);
      case "d":
        return pad(day);
      case "e":
        return String(day).padStart(2, " ");
      case "H":
        return pad(hour);
      case "I":
        return pad(hour % 12 === 0 ? 12 : hour % 12);
      case "M":
        return pad(minute);
      case "S":
        return pad(second);
      case "f":
        return pad(Math.floor((((epochMs % 1000) + 1000) % 1000) * 1000), 6);
      case "p":
        return hour < 12 ? "AM" : "PM";
      case "z":
        return (offsetMin < 0 ? "-" : "+") + pad(Math.floor(Math.abs(offsetMin) / 60)) + pad(Math.abs(offsetMin) % 60);
      case "Z":
        return utc ? "UTC" : zoneName(d);
      case "a":
        return DAYS[weekday]!.slice(0, 3);
      case "A":
        return DAYS[weekday]!;
      case "b":
        return MONTHS[month]!.slice(0, 3);
      case "B":
        return MONTHS[month]!;
      case "j":
        return pad(dayOfYear(year, month, day), 3);
      case "s":
        return String(Math.floor(epochMs / 1000));
      case "%":
        return "%";
      default:
        return whole;
    }
  });
}

function dayOfYear(year: number, month: number, day: number): number {
  return Math.round((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(d)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? "";
}
