export interface PhoneNumber {
  number: string;
  name: string;
  inbound_flow_id: string | null;
  created_at: string;
  updated_at: string;
}
